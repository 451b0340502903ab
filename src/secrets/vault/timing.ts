/** Randomness is injectable so tests can pin it; production uses Math.random. */
export type Random = () => number;

/** Exponential backoff with ±20% jitter: min, 2·min, 4·min … never above max. */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: Random = Math.random): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.max(1, Math.round(Math.min(maxMs, base * (0.8 + 0.4 * random()))));
}

/**
 * When to renew something that lives `ttlMs`: at about two thirds of its life, spread between
 * 60% and 73% so replicas that started together do not renew together.
 */
export function renewalDelay(ttlMs: number, random: Random = Math.random): number {
  return Math.max(1, Math.round(ttlMs * (0.6 + 0.13 * random())));
}

/** A timer that never keeps the process alive and is cancelled by `close()`. */
export class Timer {
  private handle: NodeJS.Timeout | undefined;

  set(delayMs: number, fn: () => void): void {
    this.cancel();
    this.handle = setTimeout(fn, delayMs);
    this.handle.unref();
  }

  cancel(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}
