import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JSONWebKeySet } from 'jose';
import { SIGNING_ALGORITHMS } from '../../src/platform/index.js';
import { LocalSecretsProvider } from '../../src/secrets/index.js';
import { generateSigningKey } from '../../src/token-service/keys/generate-key.js';
import { signingKeySecretPath } from '../../src/token-service/keys/key-ring.js';
import { DATABASES } from '../support/databases.js';
import { startTestTokenService, type TestClient, type TestTokenService } from '../support/token-service.js';
import { eventually, internalBase, introspect } from './helpers.js';

const HOUR = 3_600_000;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

interface FeedEvent { seq: number; kind: string; value: string }

async function jwks(ts: TestTokenService): Promise<JSONWebKeySet> {
  const response = await fetch(`${ts.url}/.well-known/jwks.json`);
  assert.equal(response.status, 200);
  return (await response.json()) as JSONWebKeySet;
}

const kids = async (ts: TestTokenService) => (await jwks(ts)).keys.map((k) => k.kid!).sort();
const kidOf = (token: string) => decodeProtectedHeader(token).kid!;

/** Verifies signature, typ and issuer against the JWKS as published now, at the token's own issue time. */
async function verifiesAgainstPublishedKeys(ts: TestTokenService, token: string): Promise<boolean> {
  const keySet = createLocalJWKSet(await jwks(ts));
  try {
    const iat = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { iat: number };
    await jwtVerify(token, keySet, { issuer: ts.issuer, typ: 'at+jwt', currentDate: new Date(iat.iat * 1000) });
    return true;
  } catch (error) {
    if (error instanceof joseErrors.JWKSNoMatchingKey) return false;
    throw error;
  }
}

async function feed(ts: TestTokenService): Promise<FeedEvent[]> {
  return ((await (await ts.feed()).json()) as { events: FeedEvent[] }).events;
}

describe('key rotation with a publish lead (AUTH_KEY_PUBLISH_LEAD=1h, AUTH_KEY_RETENTION=24h)', () => {
  let ts: TestTokenService;
  let client: TestClient;
  let clock = Date.now();

  before(async () => {
    ts = await startTestTokenService({ env: { AUTH_KEY_PUBLISH_LEAD: '1h', AUTH_KEY_RETENTION: '24h', AUTH_KEY_ROTATION_INTERVAL: 'off' }, now: () => clock });
    client = await ts.createClient();
  });
  after(() => ts.close());

  test('the JWKS never carries private key material and is cacheable', async () => {
    const response = await fetch(`${ts.url}/.well-known/jwks.json`);
    assert.match(response.headers.get('content-type') ?? '', /^application\/jwk-set\+json/);
    const cacheControl = response.headers.get('cache-control') ?? '';
    const maxAge = Number(/max-age=(\d+)/.exec(cacheControl)?.[1]);
    assert.ok(maxAge > 0 && maxAge * 1000 < HOUR, `max-age shorter than the publish lead: ${cacheControl}`);
    const set = (await response.json()) as JSONWebKeySet;
    assert.equal(set.keys.length, 1);
    for (const key of set.keys) {
      for (const member of PRIVATE_MEMBERS) assert.ok(!(member in key), `no "${member}" in the published key`);
      // The private half exists, in the secrets provider only.
      const stored = await ts.secrets.read(signingKeySecretPath(key.kid!));
      const privateJwk = JSON.parse(stored!.jwk!) as Record<string, unknown>;
      assert.equal(typeof privateJwk.d, 'string');
      assert.equal(privateJwk.x, key.x);
      assert.ok(!JSON.stringify(set).includes(privateJwk.d as string));
    }
  });

  test('a rotated key is published before it signs, signs after the lead, and old tokens verify until retention ends', async () => {
    const [oldKid] = await kids(ts);
    const beforeRotation = await ts.clientCredentials(client);
    assert.equal(kidOf(beforeRotation.access_token), oldKid);

    const rotated = await ts.admin('POST', '/admin/keys/rotate', {});
    assert.equal(rotated.status, 200);
    const { kid: newKid, activatesAt, retired } = (await rotated.json()) as { kid: string; activatesAt: string; retired: string[] };
    assert.equal(Date.parse(activatesAt), clock + HOUR, 'activates after the configured lead');
    assert.deepEqual(retired, []);

    // Published at once, but not signing yet: edges fetch it before they meet a token it signed.
    assert.deepEqual(await kids(ts), [oldKid, newKid].sort());
    const duringLead = await ts.clientCredentials(client);
    assert.equal(kidOf(duringLead.access_token), oldKid);
    const states = ((await (await ts.admin('GET', '/admin/keys')).json()) as { keys: Array<{ kid: string; state: string }> }).keys;
    assert.deepEqual(Object.fromEntries(states.map((k) => [k.kid, k.state])), { [oldKid!]: 'active', [newKid]: 'pending' });

    // Just before activation: still the old key.
    clock += HOUR - 1000;
    await ts.service.context.keyRing.reload();
    assert.equal(kidOf((await ts.clientCredentials(client)).access_token), oldKid);

    // Past activation: the new key signs; the old one is still published (retiring).
    clock += 2000;
    await ts.service.context.keyRing.reload();
    const afterActivation = await ts.clientCredentials(client);
    assert.equal(kidOf(afterActivation.access_token), newKid);
    assert.deepEqual(await kids(ts), [oldKid, newKid].sort());
    for (const token of [beforeRotation.access_token, duringLead.access_token, afterActivation.access_token]) {
      assert.ok(await verifiesAgainstPublishedKeys(ts, token));
    }

    // Just before the retention period ends, the old key is still there.
    clock += 24 * HOUR - 2000;
    await ts.service.context.keyRing.reload();
    assert.ok(await verifiesAgainstPublishedKeys(ts, beforeRotation.access_token));

    // After it, the old key leaves the JWKS, its tokens stop verifying, and the feed says so.
    clock += 2000;
    await ts.service.context.keyRing.reload();
    assert.deepEqual(await kids(ts), [newKid]);
    assert.equal(await verifiesAgainstPublishedKeys(ts, beforeRotation.access_token), false);
    assert.ok(await verifiesAgainstPublishedKeys(ts, afterActivation.access_token));
    assert.ok((await feed(ts)).some((e) => e.kind === 'key' && e.value === oldKid));

    const audit = (await (await ts.admin('GET', '/admin/audit?event=key_rotated')).json()) as { entries: Array<{ details: { kid: string } }> };
    assert.ok(audit.entries.some((e) => e.details.kid === newKid));
  });

  test('retireOthersNow removes every old key from the JWKS at once, feeds a key revocation, and issuance goes on', async () => {
    const oldKids = await kids(ts);
    const oldToken = (await ts.clientCredentials(client)).access_token;
    assert.equal((await introspect(ts, client, oldToken)).active, true);

    const response = await ts.admin('POST', '/admin/keys/rotate', { retireOthersNow: true });
    assert.equal(response.status, 200);
    const { kid: newKid, retired } = (await response.json()) as { kid: string; retired: string[] };
    assert.deepEqual([...retired].sort(), oldKids);

    assert.deepEqual(await kids(ts), [newKid], 'only the new key is published');
    assert.equal(await verifiesAgainstPublishedKeys(ts, oldToken), false);
    assert.deepEqual(await introspect(ts, client, oldToken), { active: false });
    const events = await feed(ts);
    for (const kid of oldKids) assert.ok(events.some((e) => e.kind === 'key' && e.value === kid), `key revocation for ${kid}`);

    // A compromised key is gone, so the new one must sign now, whatever the configured lead.
    const fresh = await ts.form('/oauth2/token', { grant_type: 'client_credentials' }, client);
    assert.equal(fresh.status, 200, await fresh.clone().text());
    const { access_token } = (await fresh.json()) as { access_token: string };
    assert.equal(kidOf(access_token), newKid);
    assert.equal((await introspect(ts, client, access_token)).active, true);

    // Even when the caller also asks for a lead: there is no other key left to sign with.
    const withLead = (await (await ts.admin('POST', '/admin/keys/rotate', { retireOthersNow: true, publishLeadSeconds: 600 })).json()) as { kid: string };
    assert.deepEqual(await kids(ts), [withLead.kid]);
    assert.equal(kidOf((await ts.clientCredentials(client)).access_token), withLead.kid);
  });

  test('a key retired at once stays revoked in the feed as long as any token it signed could live', async () => {
    const longLived = await ts.createClient({ access_token_ttl_seconds: 3600 });
    const token = (await ts.clientCredentials(longLived)).access_token;
    const exp = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp;
    assert.equal((await ts.admin('POST', '/admin/keys/rotate', { retireOthersNow: true })).status, 200);
    const events = ((await (await ts.feed()).json()) as { events: Array<{ kind: string; value: string; expiresAt: string | null }> }).events;
    const entry = events.find((e) => e.kind === 'key' && e.value === kidOf(token));
    assert.ok(entry);
    assert.ok(entry.expiresAt === null || Date.parse(entry.expiresAt) >= exp * 1000, `key entry until ${entry.expiresAt}, token until ${new Date(exp * 1000).toISOString()}`);
  });

  test('an immediate rotation supersedes a key still pending from an earlier rotation; the older key never signs', async () => {
    const pending = (await (await ts.admin('POST', '/admin/keys/rotate', {})).json()) as { kid: string; activatesAt: string };
    assert.equal(Date.parse(pending.activatesAt), clock + HOUR);
    const immediate = (await (await ts.admin('POST', '/admin/keys/rotate', { publishLeadSeconds: 0 })).json()) as { kid: string };
    assert.equal(kidOf((await ts.clientCredentials(client)).access_token), immediate.kid);

    // When the superseded key's activation time comes, the newer key keeps signing.
    clock += HOUR + 1000;
    await ts.service.context.keyRing.reload();
    const token = (await ts.clientCredentials(client)).access_token;
    assert.equal(kidOf(token), immediate.kid, 'the key of the latest rotation signs, not the one it superseded');

    // Whatever signs, its tokens must expire while its key is still published.
    const keys = ((await (await ts.admin('GET', '/admin/keys')).json()) as { keys: Array<{ kid: string; retiresAt: string | null }> }).keys;
    const signingKey = keys.find((k) => k.kid === kidOf(token))!;
    const exp = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp;
    assert.ok(signingKey.retiresAt === null || Date.parse(signingKey.retiresAt) >= exp * 1000, 'token outlives its signing key');
  });

  test('rotation needs the admin token', async () => {
    const before = await kids(ts);
    const response = await fetch(`${internalBase(ts)}/admin/keys/rotate`, { method: 'POST' });
    assert.equal(response.status, 401);
    assert.deepEqual(await kids(ts), before);
  });
});

describe('scheduled rotation (AUTH_KEY_ROTATION_INTERVAL=2h, AUTH_KEY_PUBLISH_LEAD=10m)', () => {
  let ts: TestTokenService;
  let client: TestClient;
  let clock = Date.now();

  before(async () => {
    ts = await startTestTokenService({
      env: { AUTH_KEY_ROTATION_INTERVAL: '2h', AUTH_KEY_PUBLISH_LEAD: '10m', AUTH_KEY_RETENTION: '24h' },
      now: () => clock,
      keyRingTickMs: 20,
    });
    client = await ts.createClient();
  });
  after(() => ts.close());

  const settle = () => new Promise((resolve) => setTimeout(resolve, 400));

  test('rotates once when the interval elapses, publishing the new key ahead of use', async () => {
    const [first] = await kids(ts);
    // Not yet due: nothing happens however many ticks pass.
    clock += 2 * HOUR - 60_000;
    await settle();
    assert.deepEqual(await kids(ts), [first]);

    clock += 61_000;
    await eventually(async () => (await kids(ts)).length === 2, 'the scheduled key to be published');
    await settle();
    const published = await kids(ts);
    assert.equal(published.length, 2, `exactly one new key, however many ticks ran: ${published.join(', ')}`);
    const second = published.find((k) => k !== first)!;
    assert.equal(kidOf((await ts.clientCredentials(client)).access_token), first, 'the new key waits for its lead');

    clock += 10 * 60_000 + 1000;
    assert.equal(kidOf((await ts.clientCredentials(client)).access_token), second);
    await settle();
    assert.equal((await kids(ts)).length, 2, 'no second rotation until the new key has signed for a whole interval');

    clock += 2 * HOUR;
    await eventually(async () => (await kids(ts)).length === 3, 'the next scheduled rotation');
    await settle();
    assert.equal((await kids(ts)).length, 3);
  });
});

describe('keys persist across a restart', () => {
  test('the same store and secrets give the same kid, and tokens from before still verify and introspect', async () => {
    const store = await DATABASES[0]!.open();
    const secrets = new LocalSecretsProvider(randomBytes(32));
    try {
      // A fixed issuer: each start listens on a new free port, and the issuer must not move with it.
      const env = { AUTH_ISSUER: 'http://token-service.test' };
      const first = await startTestTokenService({ store, secrets, env });
      let client: TestClient;
      let token: string;
      let kidsBefore: string[];
      try {
        client = await first.createClient();
        token = (await first.clientCredentials(client)).access_token;
        kidsBefore = await kids(first);
      } finally {
        await first.close();
      }

      const second = await startTestTokenService({ store, secrets, env });
      try {
        assert.deepEqual(await kids(second), kidsBefore);
        assert.equal(second.adminToken, first.adminToken, 'the generated admin token persists too');
        const again = (await second.clientCredentials(client)).access_token;
        assert.equal(kidOf(again), kidOf(token));
        assert.ok(await verifiesAgainstPublishedKeys(second, token));
        assert.equal((await introspect(second, client, token)).active, true);
        assert.equal((await store.signingKeys.listAll()).length, 1, 'no new key was generated on restart');
      } finally {
        await second.close();
      }
    } finally {
      await store.close();
    }
  });
});

describe('generated signing keys', () => {
  for (const alg of SIGNING_ALGORITHMS) {
    test(`${alg}: the public JWK has no private members and its kid is its thumbprint`, async () => {
      const key = generateSigningKey(alg);
      for (const member of PRIVATE_MEMBERS) assert.ok(!(member in key.publicJwk), `${alg} public JWK has "${member}"`);
      assert.equal(key.publicJwk.kid, key.kid);
      assert.equal(key.publicJwk.alg, alg);
      assert.equal(typeof key.privateJwk.d, 'string');
      const { calculateJwkThumbprint } = await import('jose');
      const { kid: _kid, alg: _alg, use: _use, ...bare } = key.publicJwk;
      assert.equal(await calculateJwkThumbprint(bare as Parameters<typeof calculateJwkThumbprint>[0]), key.kid);
    });
  }
});
