import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * Vault ACL policies, as far as the stand-in needs them, after
 * https://developer.hashicorp.com/vault/docs/concepts/policies:
 * - "Policy syntax": `path "<path>" { capabilities = [...] }`; a trailing `*` is a prefix glob,
 *   a `+` segment matches any one segment;
 * - "Capabilities": create, read, update, patch, delete, list, sudo, deny (deny wins);
 * - a token's policies are merged, and the highest-priority rule matching the path decides
 *   ("Priority matching", below).
 */
export type Capability = 'create' | 'read' | 'update' | 'patch' | 'delete' | 'list' | 'sudo' | 'deny';

export interface PathRule {
  path: string;
  capabilities: ReadonlySet<string>;
}

export type Policy = readonly PathRule[];

const RULE = /path\s+"([^"]+)"\s*\{([^}]*)\}/g;
const CAPABILITIES = /capabilities\s*=\s*\[([^\]]*)\]/;

/** The `path` blocks of an HCL policy (comments dropped); other stanzas are not used by the stand-in. */
export function parsePolicy(hcl: string): Policy {
  const text = hcl.split('\n').map((line) => line.replace(/(^|\s)(#|\/\/).*$/, '')).join('\n');
  return [...text.matchAll(RULE)].map(([, path, body]) => {
    const list = CAPABILITIES.exec(body ?? '')?.[1] ?? '';
    return { path: path!, capabilities: new Set([...list.matchAll(/"([a-z]+)"/g)].map((m) => m[1]!)) };
  });
}

/** Every `<name>.hcl` under `dir`, by policy name (as `vault policy write <name> <file>` names them). */
export function loadPolicyFiles(dir: string): Record<string, Policy> {
  return Object.fromEntries(
    readdirSync(dir).filter((f) => f.endsWith('.hcl')).map((f) => [basename(f, '.hcl'), parsePolicy(readFileSync(join(dir, f), 'utf8'))]),
  );
}

/** Whether the merged `policies` grant `capability` (and sudo, when asked) on `path`. */
export function allows(policies: readonly Policy[], path: string, capability: Capability, options: { sudo?: boolean } = {}): boolean {
  const merged = new Map<string, Set<string>>();
  for (const rule of policies.flat()) {
    const capabilities = merged.get(rule.path) ?? new Set<string>();
    for (const c of rule.capabilities) capabilities.add(c);
    merged.set(rule.path, capabilities);
  }
  const matching = [...merged.keys()].filter((rule) => matches(rule, path)).sort(byPriority);
  const winner = matching.at(-1);
  if (winner === undefined) return false;
  const granted = merged.get(winner)!;
  if (granted.has('deny')) return false;
  return granted.has(capability) && (options.sudo !== true || granted.has('sudo'));
}

function matches(rule: string, path: string): boolean {
  const glob = rule.endsWith('*');
  const ruleSegments = (glob ? rule.slice(0, -1) : rule).split('/');
  const pathSegments = path.split('/');
  if (!glob && ruleSegments.length !== pathSegments.length) return false;
  if (glob && pathSegments.length < ruleSegments.length) return false;
  return ruleSegments.every((segment, i) => {
    const actual = pathSegments[i]!;
    if (segment === '+') return true;
    // The last segment of a glob rule is a prefix of the path's segment (`edge/*` matches `edge/redis`).
    if (glob && i === ruleSegments.length - 1) return actual.startsWith(segment);
    return segment === actual;
  });
}

/**
 * "Priority matching": P1 is lower priority when (1) its first `+` or `*` comes earlier, (2) it
 * ends in `*` and P2 does not, (3) it has more `+` segments, (4) it is shorter, (5) it is smaller
 * lexicographically. Sorted ascending: the last one wins.
 */
function byPriority(p1: string, p2: string): number {
  const firstWildcard = (p: string) => {
    const found = p.search(/[+*]/);
    return found === -1 ? Number.POSITIVE_INFINITY : found;
  };
  const plusSegments = (p: string) => p.split('/').filter((s) => s === '+').length;
  return (
    Math.sign(firstWildcard(p1) - firstWildcard(p2)) ||
    Number(p2.endsWith('*')) - Number(p1.endsWith('*')) ||
    plusSegments(p2) - plusSegments(p1) ||
    p1.length - p2.length ||
    (p1 < p2 ? -1 : p1 > p2 ? 1 : 0)
  );
}
