/** `http`, or `https` where our own listeners serve TLS. */
export type ListenerScheme = 'http' | 'https';

/** The base URL of a listener at `host:port` (an IPv6 address in brackets). */
export function listenerUrl(scheme: ListenerScheme, host: string, port: number | string): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
