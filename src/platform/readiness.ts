export type DependencyState = 'up' | 'degraded' | 'down';

export interface DependencyStatus {
  status: DependencyState;
  detail?: string;
  [extra: string]: unknown;
}

export interface ReadinessReport {
  status: 'ready' | 'degraded' | 'not_ready';
  dependencies: Record<string, DependencyStatus>;
}

type Check = () => DependencyStatus | Promise<DependencyStatus>;

const CHECK_TIMEOUT_MS = 2000;

/** Per-dependency readiness: a service is ready while no dependency is down; degraded ones are reported. */
export class Readiness {
  private readonly checks = new Map<string, Check>();

  register(name: string, check: Check): void {
    this.checks.set(name, check);
  }

  async report(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => [name, await runCheck(check)] as const),
    );
    const dependencies = Object.fromEntries(entries);
    const states = entries.map(([, s]) => s.status);
    const status = states.includes('down') ? 'not_ready' : states.includes('degraded') ? 'degraded' : 'ready';
    return { status, dependencies };
  }
}

async function runCheck(check: Check): Promise<DependencyStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DependencyStatus>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'down', detail: 'check timed out' }), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([Promise.resolve().then(check), timeout]);
  } catch (error) {
    return { status: 'down', detail: error instanceof Error ? error.message : 'check failed' };
  } finally {
    clearTimeout(timer);
  }
}
