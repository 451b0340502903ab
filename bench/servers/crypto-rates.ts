import { createHmac, generateKeyPairSync, randomBytes, scryptSync, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { compactVerify, importJWK, type JWK } from 'jose';
import { announceReady } from '../lib/child.js';

/**
 * Raw single-thread signature rates for the algorithms token-service can sign with, on a JWS-sized
 * input: node:crypto with KeyObjects (what token-service signs with) and jose's compactVerify on
 * WebCrypto keys (what the edge and the raw baseline verify with). Prints them and exits.
 */
const SECONDS = Number(process.env.BENCH_CRYPTO_SECONDS ?? 0.5);
const payload = Buffer.from(
  `eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0.${Buffer.from(
    JSON.stringify({ iss: 'http://127.0.0.1:8080', sub: 'c', aud: 'https://api.bench', exp: 2e9, iat: 1.9e9, jti: crypto.randomUUID(), client_id: 'c', scope: 'read' }),
  ).toString('base64url')}`,
);

function rate(fn: () => void, batch = 50): number {
  for (let i = 0; i < Math.min(200, batch * 4); i++) fn();
  let count = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < batch; i++) fn();
    count += batch;
  }
  return count / ((performance.now() - start) / 1000);
}

async function asyncRate(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 200; i++) await fn();
  let count = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  while (performance.now() < end) {
    await Promise.all(Array.from({ length: 32 }, fn));
    count += 32;
  }
  return count / ((performance.now() - start) / 1000);
}

interface Alg {
  alg: 'ES256' | 'RS256' | 'EdDSA';
  pair: { privateKey: KeyObject; publicKey: KeyObject };
  digest: string | null;
  options: { dsaEncoding?: 'ieee-p1363' };
}

const algs: Alg[] = [
  { alg: 'ES256', pair: generateKeyPairSync('ec', { namedCurve: 'P-256' }), digest: 'sha256', options: { dsaEncoding: 'ieee-p1363' } },
  { alg: 'RS256', pair: generateKeyPairSync('rsa', { modulusLength: 2048 }), digest: 'sha256', options: {} },
  { alg: 'EdDSA', pair: generateKeyPairSync('ed25519'), digest: null, options: {} },
];

const results: Array<{ alg: string; library: string; signPerSecond: number; verifyPerSecond: number }> = [];
for (const { alg, pair, digest, options } of algs) {
  const signature = sign(digest, payload, { key: pair.privateKey, ...options });
  const signPerSecond = rate(() => sign(digest, payload, { key: pair.privateKey, ...options }));
  const verifyPerSecond = rate(() => verify(digest, payload, { key: pair.publicKey, ...options }, signature));
  results.push({ alg, library: 'node:crypto KeyObject', signPerSecond, verifyPerSecond });

  const jwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
  const key = await importJWK(jwk, alg);
  const jws = `${payload.toString()}.${signature.toString('base64url')}`.replace(/^[^.]+/, Buffer.from(JSON.stringify({ alg, kid: 'k1', typ: 'at+jwt' })).toString('base64url'));
  // Re-sign with the right header so the JWS verifies.
  const [h, p] = jws.split('.');
  const input = Buffer.from(`${h}.${p}`);
  const good = `${h}.${p}.${sign(digest, input, { key: pair.privateKey, ...options }).toString('base64url')}`;
  await compactVerify(good, key);
  const joseVerify = await asyncRate(() => compactVerify(good, key));
  results.push({ alg, library: 'jose compactVerify (WebCrypto)', signPerSecond: NaN, verifyPerSecond: joseVerify });
}
// Checking a client secret: HMAC-SHA-256 under a pepper (what token-service does) against a
// memory-hard KDF at a common interactive setting (scrypt N=2^15, r=8, p=1: 32 MiB per check).
const secret = randomBytes(32).toString('base64url');
const pepper = randomBytes(32);
const salt = randomBytes(16);
const storedHmac = createHmac('sha256', pepper).update(secret).digest();
const storedScrypt = scryptSync(secret, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 2 ** 20 });
const secretChecks = [
  { method: 'HMAC-SHA-256 (pepper)', perSecond: rate(() => timingSafeEqual(createHmac('sha256', pepper).update(secret).digest(), storedHmac)) },
  {
    method: 'scrypt N=2^15 r=8 p=1 (32 MiB)',
    perSecond: rate(() => timingSafeEqual(scryptSync(secret, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 2 ** 20 }), storedScrypt), 1),
  },
];
announceReady({ url: '', results, secretChecks });
