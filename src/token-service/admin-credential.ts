import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from '../platform/index.js';

/**
 * The operator's bearer credential for the admin and internal APIs. Compared as HMACs, in
 * constant time, so neither its length nor its prefix leaks through timing.
 */
export class AdminCredential {
  private readonly expected: Buffer;
  private readonly key = randomBytes(32);

  constructor(token: string) {
    this.expected = this.digest(token);
  }


  matches(presented: string): boolean {
    return timingSafeEqual(this.digest(presented), this.expected);
  }

  /** Throws 401 `admin_unauthorized` unless the request carries the admin bearer token. */
  assert(request: FastifyRequest): void {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer ([\x21-\x7E]+)$/i.exec(header);
    if (match === null || !this.matches(match[1]!)) {
      throw new HttpProblem(401, 'admin_unauthorized', 'Admin credential required', 'send the admin token as a Bearer credential', {
        'www-authenticate': 'Bearer realm="admin"',
      });
    }
  }

  private digest(value: string): Buffer {
    return createHmac('sha256', this.key).update(value, 'utf8').digest();
  }
}
