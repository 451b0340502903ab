import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { HttpProblem } from '../platform/index.js';

/**
 * A server-held bearer token guarding one group of internal endpoints. Compared as HMACs, in
 * constant time, so neither its length nor its prefix leaks through timing.
 */
export abstract class BearerCredential {
  private readonly key = randomBytes(32);
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = this.digest(token);
  }

  matches(presented: string): boolean {
    return timingSafeEqual(this.digest(presented), this.expected);
  }

  /** Throws the 401 `refusal()` unless the request carries the token as a Bearer credential. */
  assert(request: FastifyRequest): void {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer ([\x21-\x7E]+)$/i.exec(header);
    if (match === null || !this.matches(match[1]!)) throw this.refusal();
  }

  /** The problem a request without the credential gets, with its `WWW-Authenticate` challenge. */
  protected abstract refusal(): HttpProblem;

  private digest(value: string): Buffer {
    return createHmac('sha256', this.key).update(value, 'utf8').digest();
  }
}
