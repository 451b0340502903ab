import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  IdentityAllowlist,
  identityFromSubjectAltName,
  parseLinkerdIdentity,
  parseServiceIdentity,
  parseSpiffeId,
} from '../../src/mesh/index.js';

const EDGE_SPIFFE = 'spiffe://cluster.local/ns/auth-platform/sa/auth-edge-service';
const EDGE_LINKERD = 'auth-edge-service.auth-platform.serviceaccount.identity.linkerd.cluster.local';

describe('service identity parsing', () => {
  it('reads both forms as the same identity', () => {
    const spiffe = parseSpiffeId(EDGE_SPIFFE);
    const linkerd = parseLinkerdIdentity(EDGE_LINKERD);
    assert.deepEqual(spiffe, { trustDomain: 'cluster.local', namespace: 'auth-platform', serviceAccount: 'auth-edge-service', spiffeId: EDGE_SPIFFE });
    assert.deepEqual(linkerd, spiffe);
    assert.deepEqual(parseServiceIdentity(EDGE_LINKERD), spiffe);
  });

  const notIdentities: Array<[string, string]> = [
    ['extra path segment', `${EDGE_SPIFFE}/extra`],
    ['trailing slash', `${EDGE_SPIFFE}/`],
    ['dot-dot segment', 'spiffe://cluster.local/ns/auth-platform/sa/../sa/auth-edge-service'],
    ['traversal into the namespace', 'spiffe://cluster.local/ns/../ns/auth-platform/sa/auth-edge-service'],
    ['dot segment', 'spiffe://cluster.local/ns/./auth-platform/sa/auth-edge-service'],
    ['percent-encoded slash', 'spiffe://cluster.local/ns/auth-platform%2Fsa/sa/auth-edge-service'],
    ['percent-encoded letter', 'spiffe://cluster.local/ns/auth-platform/sa/auth-edge-servic%65'],
    ['empty segment', 'spiffe://cluster.local//ns/auth-platform/sa/auth-edge-service'],
    ['uppercase scheme', 'SPIFFE://cluster.local/ns/auth-platform/sa/auth-edge-service'],
    ['uppercase trust domain', 'spiffe://Cluster.local/ns/auth-platform/sa/auth-edge-service'],
    ['uppercase service account', 'spiffe://cluster.local/ns/auth-platform/sa/Auth-Edge-Service'],
    ['port in trust domain', 'spiffe://cluster.local:443/ns/auth-platform/sa/auth-edge-service'],
    ['user info', 'spiffe://evil@cluster.local/ns/auth-platform/sa/auth-edge-service'],
    ['query', `${EDGE_SPIFFE}?x=1`],
    ['fragment', `${EDGE_SPIFFE}#x`],
    ['swapped ns and sa', 'spiffe://cluster.local/sa/auth-edge-service/ns/auth-platform'],
    ['missing namespace', 'spiffe://cluster.local/sa/auth-edge-service'],
    ['leading space', ` ${EDGE_SPIFFE}`],
    ['trailing newline', `${EDGE_SPIFFE}\n`],
    ['unicode look-alike', 'spiffe://cluster.local/ns/auth-platform/sa/auth-еdge-service'],
    ['label ending in a dash', 'spiffe://cluster.local/ns/auth-platform-/sa/auth-edge-service'],
    ['empty', ''],
    ['linkerd with uppercase', EDGE_LINKERD.toUpperCase()],
    ['linkerd missing identity segment', 'auth-edge-service.auth-platform.serviceaccount.linkerd.cluster.local'],
    ['linkerd with trailing dot', `${EDGE_LINKERD}.`],
    ['two linkerd identities', `${EDGE_LINKERD}, ${EDGE_LINKERD}`],
  ];
  for (const [what, text] of notIdentities) {
    it(`rejects ${what}`, () => {
      assert.equal(parseServiceIdentity(text), undefined);
    });
  }

  it('reads a dotted Linkerd prefix as namespace = last label, never as a different service account', () => {
    // `a.b.c.serviceaccount…` has no valid reading: namespace and service account are single labels.
    assert.equal(parseLinkerdIdentity('auth-edge-service.evil.auth-platform.serviceaccount.identity.linkerd.cluster.local'), undefined);
  });

  it('rejects non-strings', () => {
    assert.equal(parseServiceIdentity(undefined), undefined);
    assert.equal(parseServiceIdentity(['spiffe://cluster.local/ns/a/sa/b']), undefined);
  });
});

describe('identity allowlists', () => {
  const allow = IdentityAllowlist.parse([EDGE_SPIFFE]);

  it('matches the exact identity in either form', () => {
    assert.ok(allow.allows(parseSpiffeId(EDGE_SPIFFE)!));
    assert.ok(allow.allows(parseLinkerdIdentity(EDGE_LINKERD)!));
    assert.ok(IdentityAllowlist.parse([EDGE_LINKERD]).allows(parseSpiffeId(EDGE_SPIFFE)!));
  });

  it('refuses the same namespace and service account in another trust domain', () => {
    assert.ok(!allow.allows(parseSpiffeId('spiffe://evil/ns/auth-platform/sa/auth-edge-service')!));
    assert.ok(!allow.allows(parseSpiffeId('spiffe://cluster.local.evil/ns/auth-platform/sa/auth-edge-service')!));
    assert.ok(!allow.allows(parseSpiffeId('spiffe://local/ns/auth-platform/sa/auth-edge-service')!));
  });

  it('refuses a service account with the allowlisted name as a prefix', () => {
    assert.ok(!allow.allows(parseSpiffeId('spiffe://cluster.local/ns/auth-platform/sa/auth-edge-service-2')!));
    assert.ok(!allow.allows(parseSpiffeId('spiffe://cluster.local/ns/auth-platform2/sa/auth-edge-service')!));
  });

  it('a namespace wildcard admits every service account of that namespace and trust domain only', () => {
    const ns = IdentityAllowlist.parse(['spiffe://cluster.local/ns/auth-platform/sa/*']);
    assert.ok(ns.allows(parseSpiffeId('spiffe://cluster.local/ns/auth-platform/sa/anything')!));
    assert.ok(!ns.allows(parseSpiffeId('spiffe://cluster.local/ns/other/sa/anything')!));
    assert.ok(!ns.allows(parseSpiffeId('spiffe://evil/ns/auth-platform/sa/anything')!));
  });

  it('accepts no other wildcard', () => {
    for (const entry of ['spiffe://cluster.local/ns/*/sa/x', 'spiffe://*/ns/a/sa/b', 'spiffe://cluster.local/ns/auth-platform/sa/auth-*', '*', 'spiffe://cluster.local/ns/auth-platform/*']) {
      assert.throws(() => IdentityAllowlist.parse([entry]), /is not a SPIFFE ID/, entry);
    }
  });

  it('an empty allowlist admits nobody', () => {
    assert.ok(!IdentityAllowlist.parse([]).allows(parseSpiffeId(EDGE_SPIFFE)!));
  });
});

describe('identity in a certificate subjectAltName', () => {
  it('takes the single URI SAN', () => {
    assert.equal(identityFromSubjectAltName(`DNS:localhost, URI:${EDGE_SPIFFE}, IP Address:127.0.0.1`)?.spiffeId, EDGE_SPIFFE);
  });

  it('has no identity with two URI SANs, as SPIFFE requires exactly one', () => {
    assert.equal(identityFromSubjectAltName(`URI:${EDGE_SPIFFE}, URI:spiffe://cluster.local/ns/auth-platform/sa/authctl`), undefined);
  });

  it('does not let a comma inside a quoted value forge a second entry', () => {
    // Node quotes values with special characters; the quoted text is one (invalid) URI, not two entries.
    assert.equal(identityFromSubjectAltName(`DNS:"evil, URI:${EDGE_SPIFFE}"`), undefined);
    assert.equal(identityFromSubjectAltName(`URI:"${EDGE_SPIFFE}, DNS:x"`), undefined);
  });

  it('has no identity without a URI SAN or with a non-SPIFFE URI', () => {
    assert.equal(identityFromSubjectAltName('DNS:localhost'), undefined);
    assert.equal(identityFromSubjectAltName(undefined), undefined);
    assert.equal(identityFromSubjectAltName('URI:https://cluster.local/ns/auth-platform/sa/auth-edge-service'), undefined);
  });
});
