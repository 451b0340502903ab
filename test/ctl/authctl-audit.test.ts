import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestTokenService } from '../support/token-service.js';
import { runAuthctl, startAuthctlTarget } from '../support/authctl.js';

const HEAD = /audit head: (\d+:[0-9a-f]{64})/;

/**
 * The audit head kept outside the database: printed after each admin action and by `authctl
 * status`, checked by `authctl audit verify --head`. The attack: someone with database access
 * deletes the newest entries (behind disabled triggers), leaving a chain valid in itself.
 */
describe('authctl and the audit head', () => {
  let ts: TestTokenService;
  let env: Record<string, string>;
  before(async () => {
    ({ ts, env } = await startAuthctlTarget());
  });
  after(() => ts.close());

  test('every successful admin response carries the head, which names the entry the action wrote', async () => {
    const response = await ts.admin('POST', '/admin/clients', { name: 'head check', scopes: ['read'], audiences: ['api'], grant_types: ['client_credentials'] });
    assert.equal(response.status, 201);
    const [seq, hash] = response.headers.get('audit-head')!.split(':');
    const [entry] = await ts.store.audit.list({ afterSeq: Number(seq) - 1, limit: 1 });
    assert.equal(entry!.hash, hash);
    assert.equal(entry!.event, 'admin.client_created');
    const refused = await fetch(`${ts.internalUrl}/admin/clients`, { headers: { authorization: 'Bearer wrong' } });
    assert.equal(refused.headers.get('audit-head'), null, 'not given to a caller without the admin token');
  });

  test('authctl prints the head after an admin action, status shows it, and verify --head accepts it', async () => {
    const created = await runAuthctl(env, 'clients', 'create', 'audited', '--scopes', 'read', '--audiences', 'api', '--json');
    assert.equal(created.code, 0, created.stderr);
    const printed = HEAD.exec(created.stderr)?.[1];
    assert.ok(printed, `head on stderr: ${created.stderr}`);
    JSON.parse(created.stdout); // --json output stays clean

    const status = JSON.parse((await runAuthctl(env, 'status', '--json')).stdout) as { auditHead: { head: string } };
    assert.equal(status.auditHead.head, printed);

    const verified = await runAuthctl(env, 'audit', 'verify', '--head', printed);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, new RegExp(`intact: \\d+ entries, reaching the saved head ${printed}`));
  });

  test('after the newest entries are deleted with direct SQL, verify --head exits 1 naming the gap', async () => {
    await runAuthctl(env, 'clients', 'create', 'first', '--scopes', 'read', '--audiences', 'api');
    const last = await runAuthctl(env, 'keys', 'rotate');
    assert.equal(last.code, 0, last.stderr);
    const saved = HEAD.exec(last.stderr)![1]!;
    const savedSeq = Number(saved.split(':')[0]);

    // The attacker: table owner, triggers disabled, the last two entries gone.
    await ts.store.db.exec('ALTER TABLE audit_log DISABLE TRIGGER ALL');
    await ts.store.db.query('DELETE FROM audit_log WHERE seq > $1', [savedSeq - 2]);
    await ts.store.db.exec('ALTER TABLE audit_log ENABLE TRIGGER ALL');

    assert.equal((await runAuthctl(env, 'audit', 'verify')).code, 0, 'without the head the shortened chain still verifies');
    const result = await runAuthctl(env, 'audit', 'verify', '--head', saved);
    assert.equal(result.code, 1);
    assert.match(result.stdout, new RegExp(`AUDIT LOG BROKEN at entry ${savedSeq - 1}: the log ends at entry ${savedSeq - 2}, before the saved head ${savedSeq}`));
  });

  test('a malformed head is refused with the API code', async () => {
    const result = await runAuthctl(env, 'audit', 'verify', '--head', '12:not-a-hash');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /invalid_request/);
  });
});
