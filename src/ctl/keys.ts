import type { Command } from 'commander';
import { parseDuration } from '../platform/index.js';
import { AdminApi, globalOptions, output, table } from './connection.js';

interface KeyView {
  kid: string;
  alg: string;
  state: string;
  activatesAt: string;
  retiresAt: string | null;
}

/** `authctl keys`: the signing key ring, and rotation (routine or emergency). */
export function register(program: Command): void {
  const keys = program.command('keys').description('signing keys: list and rotate');

  keys.command('list').description('published keys and their states').action(async (_o: unknown, command: Command) => {
    const globals = globalOptions(command);
    const result = await (await AdminApi.from(globals)).call<{ keys: KeyView[] }>('GET', '/admin/keys');
    output(globals, result, () => table(result.keys as unknown as Array<Record<string, unknown>>, ['kid', 'alg', 'state', 'activatesAt', 'retiresAt']));
  });

  keys
    .command('rotate')
    .description('publish a new signing key; old keys retire after the retention period')
    .option('--lead <duration>', 'publish this long before it signs (default: AUTH_KEY_PUBLISH_LEAD)')
    .option('--retire-now', 'compromised key: sign with the new key at once and retire every other key now (their tokens stop verifying)')
    .action(async (options: { lead?: string; retireNow?: boolean }, command: Command) => {
      const globals = globalOptions(command);
      const leadMs = options.lead === undefined ? undefined : parseDuration(options.lead);
      if (options.lead !== undefined && leadMs === undefined) throw new Error(`--lead: not a duration: ${options.lead}`);
      const body = {
        ...(options.retireNow ? { retireOthersNow: true, publishLeadSeconds: 0 } : {}),
        ...(leadMs === undefined ? {} : { publishLeadSeconds: Math.round(leadMs / 1000) }),
      };
      const result = await (await AdminApi.from(globals)).call<{ kid: string; activatesAt: string; retired: string[] }>('POST', '/admin/keys/rotate', body);
      output(globals, result, () => `new key ${result.kid} signs from ${result.activatesAt}` + (result.retired.length > 0 ? `\nretired now: ${result.retired.join(', ')}` : ''));
    });
}
