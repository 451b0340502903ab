/**
 * An error that becomes an RFC 9457 problem+json response. `code` is the stable,
 * documented identifier callers branch on; it also labels metrics and log lines.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
    this.name = 'HttpProblem';
  }

  body(instance?: string): Record<string, unknown> {
    return {
      type: `https://auth-platform.dev/problems/${this.code}`,
      title: this.title,
      status: this.status,
      code: this.code,
      ...(this.detail === undefined ? {} : { detail: this.detail }),
      ...(instance === undefined ? {} : { instance }),
    };
  }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
