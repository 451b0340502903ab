import { randomBytes } from 'node:crypto';
import { allows, type Capability, type Policy } from './policies.js';
import type { PostgresRoles } from './postgres-roles.js';
import { errors, type Ctx, type Reply } from './types.js';

export interface TokenEntry {
  policies: string[];
  displayName: string;
  /** 0: never expires (the root token). */
  ttlS: number;
  renewable: boolean;
  issuedAt: number;
  expiresAt: number;
  maxExpiresAt: number;
}

export interface DatabaseRole {
  defaultTtlS: number;
  maxTtlS: number;
  creationStatements: string[];
}

export interface Lease {
  id: string;
  role: string;
  username: string;
  issuedAt: number;
  expiresAt: number;
  maxExpiresAt: number;
  lastRenewal: number | null;
  timer: NodeJS.Timeout;
}

export interface KvVersion {
  data: Record<string, unknown>;
  createdAt: number;
}

/** Injected failures beyond the connection-level ones (which live in the server). */
export interface RenewalFault {
  status: number;
  remaining: number;
}

export const SHARES = 5;
export const THRESHOLD = 3;

export function randomId(bytes = 12): string {
  return randomBytes(bytes).toString('base64url');
}

/** Everything the stand-in remembers: seal, tokens, KV v2 versions and database leases. */
export class StandinState {
  sealed = false;
  healthMode: 'active' | 'standby' | 'perfstandby' | 'drsecondary' | 'uninitialized' = 'active';
  readonly unsealKeys = Array.from({ length: SHARES }, () => randomBytes(33).toString('base64'));
  unsealProgress = new Set<string>();
  readonly rootToken = `hvs.${randomId(18)}`;
  readonly tokens = new Map<string, TokenEntry>();
  readonly kv = new Map<string, KvVersion[]>();
  readonly leases = new Map<string, Lease>();
  renewalFault: RenewalFault | undefined;

  /**
   * @param policies ACL policies by name. When given, a non-root token may do only what its
   *   policies grant; without them every live token may do everything but sudo.
   */
  constructor(
    readonly roles: PostgresRoles | undefined,
    readonly databaseRoles: Record<string, DatabaseRole>,
    readonly policies?: Readonly<Record<string, Policy>>,
  ) {
    this.tokens.set(this.rootToken, {
      policies: ['root'], displayName: 'root', ttlS: 0, renewable: false, issuedAt: Date.now(), expiresAt: 0, maxExpiresAt: 0,
    });
  }

  issueToken(fields: { policies: string[]; displayName: string; ttlS: number; maxTtlS: number }): string {
    const token = `hvs.${randomId(18)}`;
    const now = Date.now();
    this.tokens.set(token, {
      policies: fields.policies, displayName: fields.displayName, ttlS: fields.ttlS, renewable: true,
      issuedAt: now, expiresAt: now + fields.ttlS * 1000, maxExpiresAt: now + fields.maxTtlS * 1000,
    });
    return token;
  }

  /** The entry for a live token; expired ones are forgotten, as Vault's expiration manager does. */
  liveToken(token: string | undefined): TokenEntry | undefined {
    if (token === undefined) return undefined;
    const entry = this.tokens.get(token);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== 0 && entry.expiresAt <= Date.now()) {
      this.tokens.delete(token);
      return undefined;
    }
    return entry;
  }

  /**
   * Vault's 403 for a missing, unknown or expired token, or for one whose policies do not grant
   * `capability` (and sudo, where the endpoint needs it) on the request's path.
   */
  deny(ctx: Pick<Ctx, 'token' | 'path'>, capability: Capability, options: { sudo?: boolean } = {}): Reply | undefined {
    const entry = this.liveToken(ctx.token);
    if (entry === undefined) return errors(403, 'permission denied');
    if (entry.policies.includes('root')) return undefined;
    const granted = this.policies === undefined
      ? options.sudo !== true
      : allows(entry.policies.map((name) => this.policies?.[name] ?? []), ctx.path, capability, options);
    return granted ? undefined : errors(403, '1 error occurred:\n\t* permission denied\n\n');
  }

  /** Revokes a lease: its PostgreSQL role loses its sessions and is dropped. */
  async revokeLease(id: string): Promise<boolean> {
    const lease = this.leases.get(id);
    if (lease === undefined) return false;
    this.leases.delete(id);
    clearTimeout(lease.timer);
    await this.roles?.drop(lease.username);
    return true;
  }

  /** Arms (or re-arms) a lease's expiry: at expireTime Vault revokes it. */
  armExpiry(lease: Lease): void {
    clearTimeout(lease.timer);
    lease.timer = setTimeout(() => void this.revokeLease(lease.id).catch(() => undefined), Math.max(0, lease.expiresAt - Date.now()));
    lease.timer.unref();
  }
}
