import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const DRILLS = 'test/drills';
const runbook = readFileSync('docs/runbook.md', 'utf8');

/**
 * The `authctl` commands a drill runs, as far as they are written out: `platform.authctl(['leases',
 * 'renew', '--increment', '1h', lease])` is `authctl leases renew --increment 1h` (the lease id is
 * the drill's own).
 */
function commandsOf(source: string): string[] {
  const commands = new Set<string>();
  for (const call of source.matchAll(/\.authctl\(\[([^\]]*)\]/g)) {
    const literal: string[] = [];
    for (const element of call[1]!.split(',').map((e) => e.trim())) {
      const quoted = /^'([^']*)'$/.exec(element);
      if (quoted === null) break;
      literal.push(quoted[1]!);
    }
    commands.add(`authctl ${literal.join(' ')}`);
  }
  return [...commands];
}

/** The "done when": docs/runbook.md quotes the commands the drills run, and says which drill runs them. */
describe('docs/runbook.md and test/drills', () => {
  for (const file of readdirSync(DRILLS).filter((f) => f.endsWith('.test.ts'))) {
    it(`quotes every authctl command ${file} runs, and names the drill`, () => {
      const commands = commandsOf(readFileSync(join(DRILLS, file), 'utf8'));
      assert.ok(commands.length > 0, `${file} runs no authctl command`);
      for (const command of commands) assert.ok(runbook.includes(command), `docs/runbook.md does not quote "${command}" (run by ${file})`);
      assert.ok(runbook.includes(`*Drilled* by \`${DRILLS}/${file}\``), `docs/runbook.md does not say the procedure is drilled by ${file}`);
    });
  }
});
