/**
 * The path of a request target, or undefined when it is unsafe to match routes on: dot segments
 * (raw or percent-encoded) and encoded slashes could make the edge match one route while the
 * upstream, after normalising, serves another.
 */
const UNSAFE = /(^|\/)(\.|%2e){1,2}(\/|$)|%2f|%5c|\\|[\x00-\x20\x7f]/i;

export function requestPath(target: string): string | undefined {
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  if (!path.startsWith('/') || UNSAFE.test(path)) return undefined;
  return path;
}
