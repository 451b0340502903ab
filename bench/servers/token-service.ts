import { loadConfig } from '../../src/platform/index.js';
import { runTokenService, type Closers } from '../../src/run-services.js';
import { announceReady, closeOnTerm } from '../lib/child.js';

/**
 * token-service exactly as `main.js token-service` runs it (the same wiring, configured from the
 * environment: embedded database and local secrets unless told otherwise). Only the token-service:
 * the edge runs in its own process in the bench.
 */
const closers: Closers = [];
const service = await runTokenService(loadConfig(process.env), closers);
announceReady({ url: service.app.listeningOrigin, internalUrl: service.internalApp.listeningOrigin, adminToken: service.adminToken });
closeOnTerm(async () => {
  for (const close of closers) await close();
});
