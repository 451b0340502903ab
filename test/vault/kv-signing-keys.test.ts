import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SecretsUnavailableError, VaultProvider } from '../../src/secrets/index.js';
import { VaultStandin } from '../support/vault-standin/index.js';
import { expectKeysReadableAcrossRotation } from './scenarios.js';
import { capturedLogger, testVaultConfig } from './support.js';

describe('Vault provider: KV v2 secrets', () => {
  let standin: VaultStandin;
  let provider: VaultProvider;

  before(async () => {
    standin = await VaultStandin.start();
    provider = await VaultProvider.start({ config: testVaultConfig(standin), logger: capturedLogger().logger });
  });
  after(async () => {
    await provider.close();
    await standin.close();
  });

  it('stores a signing key at secret/auth-platform/jwt/signing-keys/<kid> and reads it back', async () => {
    await provider.write('jwt/signing-keys/k1', { kid: 'k1', alg: 'ES256', privateJwk: '{"kty":"EC"}' });
    assert.deepEqual(standin.state.kv.get('auth-platform/jwt/signing-keys/k1')?.at(-1)?.data, { kid: 'k1', alg: 'ES256', privateJwk: '{"kty":"EC"}' });
    assert.deepEqual(await provider.read('jwt/signing-keys/k1'), { kid: 'k1', alg: 'ES256', privateJwk: '{"kty":"EC"}' });
  });

  it('reads every key across a rotation: the old kid stays readable next to the new one', async () => {
    await expectKeysReadableAcrossRotation(provider, 'jwt/signing-keys');
  });

  it('answers undefined for a path that holds nothing', async () => {
    assert.equal(await provider.read('jwt/signing-keys/never-written'), undefined);
  });

  it('refuses a path that could escape its prefix', async () => {
    await assert.rejects(provider.read('../sys/seal'), /invalid secret path/);
    await assert.rejects(provider.write('jwt/../../x', { a: 'b' }), /invalid secret path/);
  });

  it('turns a refusal from Vault into secrets_unavailable without echoing the request', async () => {
    standin.state.tokens.clear();
    const error = await provider.read('jwt/signing-keys/k1').catch((e: unknown) => e);
    assert.ok(error instanceof SecretsUnavailableError);
    assert.equal(error.code, 'secrets_unavailable');
    assert.match(error.message, /HTTP 403: permission denied/);
  });
});
