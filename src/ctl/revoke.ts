import type { Command } from 'commander';
import { AdminApi, globalOptions, output } from './connection.js';

/** `authctl revoke`: one refresh family, or everything issued before now. */
export function register(program: Command): void {
  const revoke = program.command('revoke').description('revoke tokens');

  revoke.command('family <familyId>').description('a refresh-token family and every access token minted from it').action(async (familyId: string, _o: unknown, command: Command) => {
    const globals = globalOptions(command);
    const result = await (await AdminApi.from(globals)).call<{ familyId: string; revoked: boolean }>('POST', `/admin/families/${encodeURIComponent(familyId)}/revoke`);
    output(globals, result, () => (result.revoked ? `revoked family ${familyId}` : `family ${familyId} was already revoked`));
  });

  revoke
    .command('all')
    .description('revoke every access and refresh token issued before now (revoke-all epoch)')
    .option('--yes', 'confirm: every client and user must authenticate again')
    .action(async (options: { yes?: boolean }, command: Command) => {
      if (!options.yes) throw new Error('this logs out every client and user; pass --yes to confirm');
      const globals = globalOptions(command);
      const result = await (await AdminApi.from(globals)).call<{ epoch: number; familiesRevoked: number }>('POST', '/admin/revoke-all');
      output(globals, result, () => `revoke-all epoch ${result.epoch} (${new Date(result.epoch * 1000).toISOString()}); ${result.familiesRevoked} refresh families revoked`);
    });
}
