import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from '../../platform/index.js';

/** The streamed body passed the route's cap: the upstream request is failed with this. */
export class BodyTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`request body over ${maxBytes} bytes`);
    this.name = 'BodyTooLarge';
  }
}

/**
 * 413 for a body over the route's cap. The connection closes with it: the rest of the body is
 * never read, so the socket cannot serve another request.
 */
export function bodyTooLargeProblem(maxBytes: number): HttpProblem {
  return new HttpProblem(413, 'body_too_large', 'Request body too large', `This route accepts bodies up to ${maxBytes} bytes`, { connection: 'close' });
}

/** Refused before the upstream is called: the client declared more than the cap. */
export function declaresTooLarge(request: FastifyRequest, maxBytes: number): boolean {
  const length = request.headers['content-length'];
  return length !== undefined && Number(length) > maxBytes;
}

/** Counts the bytes that pass and fails, rather than forwards, the chunk that crosses the cap. */
class ByteCap extends Transform {
  private received = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.maxBytes) callback(new BodyTooLarge(this.maxBytes));
    else callback(null, chunk);
  }
}

/**
 * The request body as the upstream receives it. With a Content-Length (already checked against
 * the cap) Node's parser holds the client to it, so the raw stream goes as it is. A chunked body
 * passes through a counter, so the upstream never receives more than the cap. The request stream
 * is piped, not destroyed, when the cap trips: the socket stays open for the 413.
 */
export function cappedBody(request: FastifyRequest, maxBytes: number): Readable {
  const raw = request.raw;
  if (raw.headers['content-length'] !== undefined) return raw;
  const cap = new ByteCap(maxBytes);
  raw.once('close', () => {
    if (!raw.complete) cap.destroy(new Error('the client closed the connection mid-body'));
  });
  return raw.pipe(cap);
}
