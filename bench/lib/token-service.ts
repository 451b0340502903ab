import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerProcess } from './child.js';
import type { BenchContext } from './context.js';
import { freePort } from '../../test/support/free-port.js';

/** The audience every bench token is for, as an RFC 8707 resource indicator. */
export const BENCH_RESOURCE = 'https://api.bench';

export interface BenchClient {
  clientId: string;
  secret: string;
  basic: string;
}

export interface RunningTokenService {
  server: ServerProcess<{ url: string; internalUrl: string }>;
  adminToken: string;
  /** What the bench's edges present to the revocation feed. */
  revocationFeedToken: string;
  client: BenchClient;
  /** The form body of every issuance request in the bench. */
  tokenRequestBody: string;
  mint(count: number, concurrency?: number): Promise<string[]>;
  close(): Promise<void>;
}

export const tokenRequestBody = `grant_type=client_credentials&scope=read&resource=${encodeURIComponent(BENCH_RESOURCE)}`;

export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/**
 * token-service on the embedded defaults (bench/servers/token-service.ts), in a fresh data
 * directory, with one confidential client for the bench.
 */
export async function startTokenService(ctx: BenchContext): Promise<RunningTokenService> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-token-service-'));
  const [port, internalPort] = [await freePort(), await freePort()];
  const adminToken = randomBytes(32).toString('base64url');
  const revocationFeedToken = randomBytes(32).toString('base64url');
  const server = await ctx.node<{ url: string; internalUrl: string }>('token-service', 'token-service', {
    env: {
      TOKEN_SERVICE_PORT: String(port),
      TOKEN_SERVICE_INTERNAL_PORT: String(internalPort),
      AUTH_DATA_DIR: dataDir,
      AUTH_MASTER_KEY: randomBytes(32).toString('base64'),
      AUTH_ADMIN_TOKEN: adminToken,
      AUTH_REVOCATION_FEED_TOKEN: revocationFeedToken,
      AUTH_KEY_PUBLISH_LEAD: '0s',
      AUTH_DEMO_CLIENT: 'false',
      LOG_LEVEL: 'info',
    },
    timeoutMs: 120_000,
  });
  const created = await fetch(`${server.info.internalUrl}/admin/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench client', scopes: ['read', 'write'], audiences: [BENCH_RESOURCE], grant_types: ['client_credentials'] }),
  });
  if (created.status !== 201) throw new Error(`creating the bench client failed: ${created.status} ${await created.text()}`);
  const { client_id: clientId, client_secret: secret } = (await created.json()) as { client_id: string; client_secret: string };
  const client = { clientId, secret, basic: basic(clientId, secret) };

  /** Real tokens from the token endpoint, fetched with autocannon (a fetch loop is several times slower). */
  function mint(count: number, concurrency: number): Promise<string[]> {
    const tokens: string[] = [];
    const failures: string[] = [];
    return new Promise((resolve, reject) => {
      autocannon(
        {
          url: server.info.url,
          connections: concurrency,
          amount: count,
          timeout: 30,
          requests: [
            {
              method: 'POST',
              path: '/oauth2/token',
              headers: { authorization: client.basic, 'content-type': 'application/x-www-form-urlencoded' },
              body: tokenRequestBody,
              onResponse: (status, body) => {
                if (status === 200) tokens.push((JSON.parse(body) as { access_token: string }).access_token);
                else failures.push(`${status} ${body.slice(0, 200)}`);
              },
            },
          ],
        },
        (error) => {
          if (error) return reject(error);
          if (tokens.length < count) return reject(new Error(`minted ${tokens.length} of ${count} tokens: ${failures.slice(0, 3).join('; ')}`));
          resolve(tokens.slice(0, count));
        },
      );
    });
  }

  return {
    server,
    adminToken,
    revocationFeedToken,
    client,
    tokenRequestBody,
    mint: (count, concurrency = 16) => mint(count, Math.min(count, concurrency)),
    async close() {
      await ctx.stop(server);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
