import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { entrypoint } from '../support/entrypoints.js';

/** `--flags  description` of each option in commander's help, with wrapped descriptions joined. */
function optionDescriptions(help: string): Map<string, string> {
  const options = new Map<string, string>();
  let current: string | undefined;
  for (const line of help.split('\n')) {
    const option = /^ {2}(-\S.*?) {2,}(\S.*)$/.exec(line);
    if (option) {
      current = option[1]!.trim();
      options.set(current, option[2]!);
    } else if (current !== undefined && /^ {10,}\S/.test(line)) {
      options.set(current, `${options.get(current)} ${line.trim()}`);
    } else {
      current = undefined;
    }
  }
  return options;
}

test('authctl clients create --help marks the options it cannot run without', () => {
  const result = spawnSync(process.execPath, [...entrypoint('ctl/main'), 'clients', 'create', '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
  assert.equal(result.status, 0, result.stderr);
  const options = optionDescriptions(result.stdout);
  assert.match(options.get('--scopes <list>') ?? '', /\(required\)$/, result.stdout);
  assert.match(options.get('--audiences <list>') ?? '', /\(required\)$/, result.stdout);
  assert.doesNotMatch(options.get('--client-id <id>') ?? '(missing)', /required/, 'optional options are not marked');
});
