import type { Queryable } from '../store/index.js';
import { clientRevocationValue } from '../tokens/index.js';
import type { TokenServiceContext } from './context.js';
import { longestAccessTokenTtlMs } from './token-minter.js';

/** Why a client's tokens were revoked: the admin action behind it (audit detail, family reason). */
export type ClientRevocationReason = 'client_disabled' | 'client_deleted' | 'admin_revoked';

export interface ClientRevocationOutcome {
  /** Epoch seconds: the client's access tokens with `iat` at or before it are revoked. */
  cutoff: number;
  /** Refresh families of the client that were live and are now revoked. */
  familiesRevoked: number;
}

/**
 * Revokes everything a client holds, in one transaction: a `client` revocation (every access
 * token it was issued up to now, at every edge and in introspection) and its live refresh
 * families (so none mints another token). `change` runs in the same transaction (disabling or
 * deleting the client, or throwing to abort), so a client never ends disabled or deleted with
 * its tokens still valid. Once it commits, every replica's client cache drops the client before
 * the revocation is published: a token authenticated against the old record in between is minted
 * inside the cutoff's second and refused with the rest.
 *
 * The cutoff is never below what this replica may already have minted for the client: a token
 * pushed to `iat = s + 1` by a revocation earlier in second `s` is caught by a second one in `s`.
 * Deleted and re-created under the same id, the new client's tokens are minted past the cutoff
 * and the old ones stay refused until the entry expires with the last of them.
 */
export async function revokeClientTokens<R>(
  ctx: TokenServiceContext,
  clientId: string,
  reason: ClientRevocationReason,
  change: (tx: Queryable) => Promise<R>,
): Promise<{ outcome: ClientRevocationOutcome; result: R }> {
  const now = ctx.now();
  const cutoff = Math.max(Math.floor(now / 1000), ctx.revocations.minIssuedAt(clientId));
  const expiresAt = new Date(now + longestAccessTokenTtlMs(ctx.config.accessTokenTtlMs));
  const { event, familiesRevoked, result } = await ctx.store.db.transaction(async (tx) => {
    const familiesRevoked = await ctx.store.refreshFamilies.revokeClient(clientId, reason, new Date(now), tx);
    const event = await ctx.revocations.record('client', clientRevocationValue({ clientId, cutoff }), expiresAt, tx);
    return { event, familiesRevoked, result: await change(tx) };
  });
  await ctx.clientCache.invalidate(clientId);
  await ctx.revocations.publish(event);
  return { outcome: { cutoff, familiesRevoked }, result };
}
