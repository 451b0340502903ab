import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import type { SigningAlgorithm } from '../../platform/index.js';

/**
 * Compact JWS signing straight on node:crypto with a KeyObject parsed once per key.
 * Issuance is the hot path and WebCrypto's per-call overhead costs about half the
 * throughput; tests verify every token with `jose`, so the output is held to the spec.
 */
export class JwsSigner {
  private readonly encodedHeader: string;
  private readonly key: KeyObject;

  constructor(readonly kid: string, readonly alg: SigningAlgorithm, privateJwk: Record<string, unknown>, typ: string) {
    this.key = createPrivateKey({ key: privateJwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    this.encodedHeader = Buffer.from(JSON.stringify({ alg, kid, typ })).toString('base64url');
  }

  sign(payload: Record<string, unknown>): string {
    const input = `${this.encodedHeader}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    const signature = sign(this.alg === 'EdDSA' ? null : 'sha256', Buffer.from(input), {
      key: this.key,
      // JWS wants ECDSA signatures as r||s (RFC 7518 §3.4), not DER.
      ...(this.alg === 'ES256' ? { dsaEncoding: 'ieee-p1363' as const } : {}),
    });
    return `${input}.${signature.toString('base64url')}`;
  }
}
