import { refuse } from '../errors.js';
import type { Check } from '../verification.js';

/** Every scope the route requires must be granted; the 403 names them in `scope=`. */
export function scopes(required: readonly string[]): Check {
  return (verification) => {
    const granted = verification.token!.scopes;
    return required.every((scope) => granted.includes(scope)) ? undefined : refuse('insufficient_scope');
  };
}
