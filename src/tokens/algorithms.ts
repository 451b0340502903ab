/**
 * Asymmetric algorithms only: an HMAC or `none` token is never issued or accepted, which
 * rules out the classic public-key-as-HMAC-secret confusion.
 */
export const ASYMMETRIC_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'] as const;
