import { refuse } from '../errors.js';
import type { Check } from '../verification.js';

/** The token must name at least one of the route's audiences. */
export function audience(accepted: readonly string[]): Check {
  const set = new Set(accepted);
  return (verification) => {
    const { aud } = verification.token!.claims;
    const matches = typeof aud === 'string' ? set.has(aud) : aud.some((a) => set.has(a));
    return matches ? undefined : refuse('token_audience_invalid');
  };
}
