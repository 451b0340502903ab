import { refuse } from '../errors.js';
import type { Check } from '../verification.js';

export function notBefore(skewSeconds: number): Check {
  return (verification) => {
    const { nbf } = verification.token!.claims;
    return nbf !== undefined && nbf > verification.nowSeconds + skewSeconds ? refuse('token_not_yet_valid') : undefined;
  };
}
