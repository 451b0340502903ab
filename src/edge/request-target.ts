/**
 * The canonical form of a request path: what routes are matched on and, in proxy mode, exactly
 * what the upstream receives. Backends decode and normalise paths in different ways (WSGI and Go
 * decode `%61`, servlets drop `;params`, Windows drops trailing dots, some fold case or Unicode).
 * So the edge makes every interpretation that is an RFC 3986 §6.2.2 equivalence itself, and
 * refuses every form whose meaning depends on the backend. docs/edge.md "Canonical request paths"
 * lists each choice.
 */

/** RFC 3986 §2.3 unreserved: percent-encodings of these mean the character itself (§6.2.2.2). */
function isUnreserved(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e;
}

/**
 * Characters a path may carry unencoded: RFC 3986 pchar and `/`, without `;` (servlets and
 * others strip `;params` from segments, so `/admin;x/users` is `/admin/users` to them), and `%`
 * to start an escape. Anything else (`\`, controls, space, `#`, `"`, `|`, non-ASCII…) must
 * arrive percent-encoded.
 */
const RAW_ALLOWED = /^[A-Za-z0-9\-._~!$&'()*+,=:@/%]*$/;

/**
 * Encoded bytes refused outright: controls (NUL ends C strings; CR/LF split log lines and
 * headers), `/` and `\` (a decoding backend would see another segment), `;` (a decoding backend
 * would see a path parameter).
 */
function isRefusedEncoding(byte: number): boolean {
  return byte < 0x20 || byte === 0x7f || byte === 0x2f || byte === 0x5c || byte === 0x3b;
}

const HEX = '0123456789ABCDEF';

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** A `%25` followed by hex digits: a backend that decodes twice would see another escape. */
const DOUBLE_ENCODED = /%25[0-9A-F]{2}/i;

/**
 * A segment the edge will not judge: empty (`//`; one trailing slash is kept as sent, since
 * `/admin/` is under `/admin` and means what the upstream says), a dot segment (`.`, `..`, also
 * from `%2E`), or one ending in a dot or an encoded space (Windows and IIS strip those, so
 * `/admin./users` would be `/admin/users`).
 */
const UNSAFE_SEGMENT = /\/\/|(?:\.|%20)(?:\/|$)/;

/**
 * Non-ASCII text, once decoded, must be valid UTF-8 (no overlong forms such as `%C0%AF`, no
 * surrogates), and no character may stand for ASCII to a backend that applies NFKC or case
 * mapping (fullwidth `ａｄｍｉｎ`, `ſ` → `S`, `ı` → `I`, the Kelvin sign → `k`).
 */
function isSafeNonAscii(path: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return false;
  }
  for (const char of decoded) {
    if (char.charCodeAt(0) < 0x80) continue;
    for (const mapped of [char.normalize('NFKC'), char.toLowerCase(), char.toUpperCase()]) {
      if (/[\x00-\x7f]/.test(mapped)) return false;
    }
  }
  return true;
}

/**
 * The canonical path of a request target (its query dropped), or undefined when the edge will not
 * judge it. Canonical means: percent-encoded unreserved characters decoded, every other
 * percent-encoding in upper-case hex, and nothing that a decoding or normalising backend could
 * read as a different path.
 */
export function canonicalPath(target: string): string | undefined {
  const query = target.indexOf('?');
  const raw = query === -1 ? target : target.slice(0, query);
  if (raw.charCodeAt(0) !== 0x2f || !RAW_ALLOWED.test(raw)) return undefined;
  let path = '';
  let copied = 0;
  let nonAscii = false;
  // Only the escapes need rewriting: the text between them is copied as it is.
  for (let escape = raw.indexOf('%'); escape !== -1; escape = raw.indexOf('%', copied)) {
    const high = hexValue(raw.charCodeAt(escape + 1));
    const low = hexValue(raw.charCodeAt(escape + 2));
    if (high < 0 || low < 0) return undefined;
    const byte = high * 16 + low;
    if (isRefusedEncoding(byte)) return undefined;
    if (byte >= 0x80) nonAscii = true;
    path += raw.slice(copied, escape) + (isUnreserved(byte) ? String.fromCharCode(byte) : `%${HEX[high]}${HEX[low]}`);
    copied = escape + 3;
  }
  path += raw.slice(copied);
  if (UNSAFE_SEGMENT.test(path) || DOUBLE_ENCODED.test(path)) return undefined;
  if (nonAscii && !isSafeNonAscii(path)) return undefined;
  return path;
}

/** The query of a request target as sent, with its `?`; empty when there is none. */
export function targetQuery(target: string): string {
  const query = target.indexOf('?');
  return query === -1 ? '' : target.slice(query);
}
