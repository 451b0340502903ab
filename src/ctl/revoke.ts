import type { Command } from 'commander';
import { decodeJwt } from 'jose';
import { AdminApi, globalOptions, output } from './connection.js';

export interface ClientRevocation {
  cutoff: number;
  familiesRevoked: number;
}

/** One line saying what revoking a client's tokens did. */
export function describeClientRevocation(clientId: string, revoked: ClientRevocation): string {
  return `revoked every token of ${clientId} issued up to ${new Date(revoked.cutoff * 1000).toISOString()} (iat <= ${revoked.cutoff}); ${revoked.familiesRevoked} refresh families revoked`;
}

/**
 * The jti to revoke: a bare jti as given, or the `jti` claim of a compact JWT. The token is only
 * decoded, never verified and never sent: its jti is used for lookup only, so a forged one can
 * at worst revoke a token that does not exist. Its `exp` is shown, not trusted.
 */
export function jtiOf(tokenOrJti: string): { jti: string; exp?: number } {
  if (tokenOrJti.split('.').length !== 3) return { jti: tokenOrJti };
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(tokenOrJti);
  } catch {
    throw new Error('that looks like a JWT but does not decode; pass the token as issued, or its jti');
  }
  if (typeof claims.jti !== 'string' || claims.jti === '') throw new Error('the token has no jti claim to revoke it by');
  return { jti: claims.jti, ...(typeof claims.exp === 'number' ? { exp: claims.exp } : {}) };
}

/** `authctl revoke`: one access token, one client's tokens, one refresh family, or everything issued before now. */
export function register(program: Command): void {
  const revoke = program.command('revoke').description('revoke tokens');

  revoke
    .command('token <tokenOrJti>')
    .description('one access token, given as the token itself (only its jti is read and sent) or its jti')
    .action(async (tokenOrJti: string, _o: unknown, command: Command) => {
      const globals = globalOptions(command);
      const { jti, exp } = jtiOf(tokenOrJti);
      const result = await (await AdminApi.from(globals)).call<{ jti: string; expiresAt: string }>('POST', '/admin/tokens/revoke', { jti });
      const expiry = exp === undefined ? '' : ` (the token says it expires at ${new Date(exp * 1000).toISOString()})`;
      output(globals, result, () => `revoked token ${result.jti}${expiry}; edges refuse it until ${result.expiresAt}`);
    });

  revoke
    .command('client <clientId>')
    .description('every access and refresh token the client holds; the client stays enabled and gets new tokens')
    .action(async (clientId: string, _o: unknown, command: Command) => {
      const globals = globalOptions(command);
      const result = await (await AdminApi.from(globals)).call<{ client_id: string; revoked: ClientRevocation }>('POST', `/admin/clients/${encodeURIComponent(clientId)}/revoke`);
      output(globals, result, () => describeClientRevocation(clientId, result.revoked));
    });

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
