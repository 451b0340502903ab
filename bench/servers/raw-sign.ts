import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import Fastify from 'fastify';
import { announceReady, closeOnTerm } from '../lib/child.js';

/**
 * The raw issuance limit: Fastify reading a form body and signing the claims token-service puts in
 * a client_credentials token, with ES256 on a node:crypto KeyObject. No client authentication, no
 * database, no policy, no metrics.
 */
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const issuer = process.env.BENCH_ISSUER ?? 'http://127.0.0.1';
const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'raw-1', typ: 'at+jwt' })).toString('base64url');

const app = Fastify({ logger: false });
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
  done(null, new URLSearchParams(body as string));
});
app.post('/oauth2/token', async (request, reply) => {
  const params = request.body as URLSearchParams;
  const iat = Math.floor(Date.now() / 1000);
  const claims = {
    iss: issuer,
    sub: 'bench-client',
    aud: params.get('resource') ?? 'https://api.bench',
    exp: iat + 600,
    iat,
    jti: randomUUID(),
    client_id: 'bench-client',
    scope: params.get('scope') ?? 'read',
  };
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return reply
    .header('cache-control', 'no-store')
    .send({ access_token: `${input}.${signature}`, token_type: 'Bearer', expires_in: 600, scope: claims.scope });
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
announceReady({ url });
closeOnTerm(() => app.close());
