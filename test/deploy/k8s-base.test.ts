import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig, type Config } from '../../src/platform/index.js';
import { REVOCATION_FEED_TOKEN_PATH } from '../../src/token-service/index.js';
import { allows, loadPolicyFiles } from '../support/vault-standin/policies.js';

const BASE = 'deploy/k8s';

interface Resource {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: { template?: { spec?: { containers?: Container[] } } };
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: { name: string; key: string }; secretKeyRef?: { name: string; key: string } };
}

interface Container {
  name: string;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  env?: EnvVar[];
}

/** Every object the kustomize base renders, from the files its kustomization lists. */
function baseResources(): Resource[] {
  const kustomization = parse(readFileSync(join(BASE, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  return kustomization.resources.flatMap((file) =>
    parseAllDocuments(readFileSync(join(BASE, file), 'utf8')).map((doc) => doc.toJS() as Resource).filter((r) => r !== null),
  );
}

/** A ConfigMap's or Secret's values, by the name a reference uses; a dangling reference fails the test. */
function values(resources: Resource[], kind: 'ConfigMap' | 'Secret', name: string): Record<string, string> {
  const found = resources.find((r) => r.kind === kind && r.metadata.name === name);
  assert.ok(found, `${kind} ${name} is referenced but not in the base`);
  const encoded = Object.fromEntries(Object.entries(found.data ?? {}).map(([k, v]) => [k, kind === 'Secret' ? Buffer.from(v, 'base64').toString() : v]));
  return { ...encoded, ...found.stringData };
}

/** The environment a container starts with, every reference resolved against the base. */
function containerEnv(resources: Resource[], deployment: string): { env: Record<string, string>; sources: Record<string, string> } {
  const found = resources.find((r) => r.kind === 'Deployment' && r.metadata.name === deployment);
  const container = found?.spec?.template?.spec?.containers?.[0];
  assert.ok(container, `Deployment ${deployment} with a container`);
  const env: Record<string, string> = {};
  const sources: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const [kind, name] = from.configMapRef ? ['ConfigMap', from.configMapRef.name] as const : ['Secret', from.secretRef!.name] as const;
    for (const [key, value] of Object.entries(values(resources, kind, name))) {
      env[key] = value;
      sources[key] = `${kind}/${name}`;
    }
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.configMapKeyRef ?? variable.valueFrom?.secretKeyRef;
    if (ref === undefined) {
      env[variable.name] = variable.value ?? '';
      sources[variable.name] = 'value';
      continue;
    }
    const kind = variable.valueFrom?.configMapKeyRef ? 'ConfigMap' : 'Secret';
    const value = values(resources, kind, ref.name)[ref.key];
    assert.ok(value !== undefined, `${deployment}: ${variable.name} names key ${ref.key}, which ${kind} ${ref.name} lacks`);
    env[variable.name] = value;
    sources[variable.name] = `${kind}/${ref.name}`;
  }
  return { env, sources };
}

/** The Vault policy `deploy/vault/setup-auth-kubernetes.sh` gives a Kubernetes auth role. */
function policyOfRole(role: string): string {
  // One command per line once the backslash continuations are joined.
  const commands = readFileSync('deploy/vault/setup-auth-kubernetes.sh', 'utf8').replace(/\\\n/g, ' ').split('\n');
  const command = commands.find((line) => line.includes(`auth/kubernetes/role/${role} `));
  const policy = command === undefined ? undefined : /token_policies=([\w-]+)/.exec(command)?.[1];
  assert.ok(policy, `setup-auth-kubernetes.sh creates role ${role} with a policy`);
  return policy;
}

/** The KV v2 API path where a service with this config keeps the revocation feed token. */
function feedTokenApiPath(config: Config): string {
  assert.ok(config.vault, 'the service is a Vault client');
  return `${config.vault.kvMount}/data/${config.vault.kvPrefix}/${REVOCATION_FEED_TOKEN_PATH}`;
}

/**
 * Finding: the base gave the edge neither the revocation feed credential nor REDIS_URL, so as
 * shipped the feed answered 401 and no revocation event ever reached an edge.
 */
describe('the Kubernetes base wires revocations to the edges', () => {
  const resources = baseResources();
  const edge = containerEnv(resources, 'auth-edge-service');
  const tokenService = containerEnv(resources, 'token-service');
  const policies = loadPolicyFiles('deploy/vault/policies');

  it('gives both services REDIS_URL from an object in the base, and the same Redis', () => {
    assert.ok(edge.env.REDIS_URL, 'the edge has REDIS_URL');
    assert.match(edge.sources.REDIS_URL!, /^(Secret|ConfigMap)\//);
    assert.equal(tokenService.env.REDIS_URL, edge.env.REDIS_URL, 'events are published where the edges listen');
  });

  it('each container\'s environment is a valid configuration for its service', () => {
    for (const { env } of [edge, tokenService]) loadConfig(env);
  });

  it('gives the edge the feed credential: its Vault role may read the token token-service writes, at the path both use', () => {
    const edgeConfig = loadConfig(edge.env);
    const tokenServiceConfig = loadConfig(tokenService.env);
    assert.equal(edgeConfig.edge.revocationFeedToken, undefined, 'no token in plain env: it comes from Vault');
    assert.equal(edgeConfig.platform.secretsProvider, 'vault');
    assert.equal(tokenServiceConfig.platform.secretsProvider, 'vault', 'token-service stores the token where the edge reads it');
    assert.equal(edgeConfig.vault?.addr, tokenServiceConfig.vault?.addr, 'the same Vault');
    const path = feedTokenApiPath(edgeConfig);
    assert.equal(feedTokenApiPath(tokenServiceConfig), path);

    const edgePolicy = policies[policyOfRole(edge.env.VAULT_K8S_ROLE!)];
    const tokenServicePolicy = policies[policyOfRole(tokenService.env.VAULT_K8S_ROLE!)];
    assert.ok(edgePolicy && tokenServicePolicy);
    assert.ok(allows([tokenServicePolicy], path, 'create'), 'token-service may store the token it generates');
    assert.ok(allows([edgePolicy], path, 'read'), 'the edge may read it');
    assert.ok(!allows([edgePolicy], path, 'update'), 'the edge cannot replace it');
    assert.ok(!allows([edgePolicy], `${edgeConfig.vault!.kvMount}/data/${edgeConfig.vault!.kvPrefix}/token-service/admin-token`, 'read'), 'nor read the admin token');
  });

  it('gives the edge no admin token', () => {
    for (const name of ['EDGE_ADMIN_TOKEN', 'AUTH_ADMIN_TOKEN']) assert.equal(edge.env[name], undefined, name);
  });
});
