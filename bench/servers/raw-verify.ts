import Fastify from 'fastify';
import { importJWK, jwtVerify, type JWK } from 'jose';
import { announceReady, closeOnTerm } from '../lib/child.js';

/**
 * The raw verification baseline: Fastify plus jose `jwtVerify` of the bearer token against a key
 * imported once from the token-service's JWKS. No other check, no cache, no logging, no metrics.
 */
const jwks = (await (await fetch(process.env.BENCH_JWKS_URL!)).json()) as { keys: JWK[] };
const jwk = jwks.keys[0]!;
const key = await importJWK(jwk, jwk.alg);

const app = Fastify({ logger: false });
app.get('/auth/verify', async (request, reply) => {
  const authorization = request.headers.authorization ?? '';
  try {
    await jwtVerify(authorization.slice(7), key);
    return reply.code(200).send();
  } catch {
    return reply.code(401).send();
  }
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
announceReady({ url });
closeOnTerm(() => app.close());
