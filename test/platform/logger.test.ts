import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger, scrubTokens } from '../../src/platform/index.js';

// A JWT-shaped value (header.payload.signature) as any of our access tokens would be.
const JWT = 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJ1c2VyLTEiLCJzY29wZSI6InJlYWQifQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';
const SECRET = 'SEKRIT-value-0123456789';

function capture() {
  const lines: string[] = [];
  const logger = createLogger({ name: 'test', level: 'trace', destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines, all: () => lines.join('') };
}

describe('logger redaction', () => {
  test('authorization and similar headers are redacted at the top level and one level down', () => {
    const { logger, all, lines } = capture();
    logger.info({ authorization: `Bearer ${SECRET}` }, 'top level');
    logger.info({ headers: { authorization: `Basic ${SECRET}`, 'proxy-authorization': SECRET, cookie: SECRET, dpop: SECRET, 'x-vault-token': SECRET, accept: 'text/plain' } }, 'headers');
    assert.ok(!all().includes(SECRET), all());
    const headers = JSON.parse(lines[1]!).headers;
    assert.equal(headers.authorization, '[REDACTED]');
    assert.equal(headers.accept, 'text/plain', 'harmless headers are kept');
  });

  test('token, client secret and admin credential fields are redacted', () => {
    const { logger, all } = capture();
    logger.info({ access_token: SECRET, refresh_token: SECRET, token: SECRET, client_secret: SECRET, client_assertion: SECRET, adminToken: SECRET, password: SECRET }, 'fields');
    logger.info({ body: { access_token: SECRET, refresh_token: SECRET, client_secret: SECRET, subject_token: SECRET, secret_id: SECRET } }, 'nested');
    assert.ok(!all().includes(SECRET), all());
  });

  test('private JWK members are redacted wherever a key object is logged', () => {
    const { logger, all, lines } = capture();
    const jwk = { kty: 'EC', crv: 'P-256', x: 'public-x', y: 'public-y', d: SECRET };
    const rsa = { kty: 'RSA', n: 'public-n', e: 'AQAB', d: SECRET, p: SECRET, q: SECRET, dp: SECRET, dq: SECRET, qi: SECRET };
    logger.info({ jwk }, 'ec key');
    logger.info({ rsa }, 'rsa key');
    logger.info({ k: SECRET, privateJwk: { d: SECRET }, key: { d: SECRET } }, 'symmetric and private keys');
    assert.ok(!all().includes(SECRET), all());
    assert.equal(JSON.parse(lines[0]!).jwk.x, 'public-x', 'public members are kept');
  });

  test('JWT-looking strings in messages are scrubbed, including printf-style arguments', () => {
    const { logger, all } = capture();
    logger.info(`verifying ${JWT} now`);
    logger.warn({ kid: 'k1' }, `refused token ${JWT}`);
    logger.info('got %s from the client', JWT);
    assert.ok(!all().includes(JWT), all());
    assert.ok(!all().includes(JWT.split('.')[1]!), 'not even the payload segment');
    assert.match(all(), /\[REDACTED_JWT\]/);
  });

  test('JWT-looking strings in error messages and stacks are scrubbed', () => {
    const { logger, all, lines } = capture();
    const error = new Error(`could not verify ${JWT}`);
    logger.error({ err: error }, 'verification failed');
    logger.error(new Error(`bare error with ${JWT}`));
    logger.error({ err: new Error(`error object without a message of its own: ${JWT}`) });
    assert.ok(!all().includes(JWT.split('.')[1]!), all());
    const logged = JSON.parse(lines[0]!).err;
    assert.match(logged.message, /\[REDACTED_JWT\]/);
    assert.match(logged.stack, /\[REDACTED_JWT\]/);
    assert.match(logged.stack, /logger\.test\.ts/, 'the stack is kept, only the token is removed');
  });

  test('an error carrying request config with credentials logs only type, code, message and stack', () => {
    const { logger, all } = capture();
    const error = Object.assign(new Error('upstream failed'), { code: 'E_UPSTREAM', config: { headers: { authorization: `Bearer ${SECRET}` } }, response: { data: SECRET } });
    logger.error({ err: error }, 'call failed');
    assert.ok(!all().includes(SECRET), all());
    assert.match(all(), /E_UPSTREAM/);
  });

  test('a logged request keeps only its path: query strings never reach the log', () => {
    const { logger, all, lines } = capture();
    logger.info({ req: { id: 'r1', method: 'GET', url: `/callback?access_token=${SECRET}&x=1`, ip: '10.0.0.1', headers: { authorization: SECRET } } }, 'request');
    assert.ok(!all().includes(SECRET), all());
    assert.ok(!all().includes('access_token='), all());
    assert.deepEqual(JSON.parse(lines[0]!).req, { id: 'r1', method: 'GET', path: '/callback', remote: '10.0.0.1' });
  });

  test('scrubTokens leaves ordinary text alone', () => {
    assert.equal(scrubTokens('client c1 asked for scope read write'), 'client c1 asked for scope read write');
    assert.equal(scrubTokens(`a ${JWT} b ${JWT}`), 'a [REDACTED_JWT] b [REDACTED_JWT]');
  });
});
