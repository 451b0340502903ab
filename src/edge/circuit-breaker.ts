export type BreakerState = 'closed' | 'open' | 'half_open';

/** Thrown without calling the dependency while the breaker is open. */
export class CircuitOpenError extends Error {
  readonly code = 'circuit_open';
  constructor(dependency: string) {
    super(`${dependency}: circuit open`);
    this.name = 'CircuitOpenError';
  }
}

export interface BreakerOptions {
  failureThreshold: number;
  resetMs: number;
  now: () => number;
  /** Whether an error means the dependency is unhealthy; an answered 4xx is not. */
  isFailure?: (error: unknown) => boolean;
  onStateChange?: (state: BreakerState) => void;
}

/**
 * Consecutive failures open the circuit; calls then fail fast until `resetMs` has passed, when
 * one trial call is let through (half-open). Its success closes the circuit, its failure reopens it.
 * This keeps a down token-service from tying up the edge with timeouts on every kid miss.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;

  constructor(readonly dependency: string, private readonly options: BreakerOptions) {}

  get state(): BreakerState {
    return this.current;
  }

  async execute<T>(call: () => Promise<T>): Promise<T> {
    if (this.current === 'open' && this.options.now() - this.openedAt >= this.options.resetMs) {
      this.transition('half_open');
    }
    if (this.current === 'open' || (this.current === 'half_open' && this.trialInFlight)) {
      throw new CircuitOpenError(this.dependency);
    }
    const trial = this.current === 'half_open';
    if (trial) this.trialInFlight = true;
    try {
      const result = await call();
      this.failures = 0;
      if (this.current !== 'closed') this.transition('closed');
      return result;
    } catch (error) {
      if (this.options.isFailure?.(error) ?? true) this.recordFailure(trial);
      throw error;
    } finally {
      if (trial) this.trialInFlight = false;
    }
  }

  private recordFailure(trial: boolean): void {
    this.failures += 1;
    if (trial || this.failures >= this.options.failureThreshold) {
      this.openedAt = this.options.now();
      this.transition('open');
    }
  }

  private transition(state: BreakerState): void {
    if (state === this.current) return;
    this.current = state;
    this.options.onStateChange?.(state);
  }
}
