import type { Logger, SigningAlgorithm } from '../../platform/index.js';
import { SecretsUnavailableError, type SecretsProvider } from '../../secrets/index.js';
import { DatabaseUnavailableError, type Db, type EventBus, type RevocationRepository, type SigningKeyRecord, type SigningKeyRepository } from '../../store/index.js';
import { ACCESS_TOKEN_TYPE, KEY_CHANNEL, type KeyEvent } from '../../tokens/index.js';
import type { RevocationService } from '../revocation-service.js';
import { longestAccessTokenTtlMs } from '../token-minter.js';
import { generateSigningKey } from './generate-key.js';
import { JwsSigner } from './jws-signer.js';

export interface KeyRingOptions {
  db: Db;
  repo: SigningKeyRepository;
  revocationRepo: RevocationRepository;
  secrets: SecretsProvider;
  revocations: RevocationService;
  bus: EventBus;
  logger: Logger;
  alg: SigningAlgorithm;
  /** How long a new key is published before it signs, so every edge has it in its JWKS cache. */
  publishLeadMs: number;
  /** How long a superseded key stays published, so tokens it signed keep verifying. */
  retentionMs: number;
  /** Scheduled rotation; 0 disables it. */
  rotationIntervalMs: number;
  accessTokenTtlMs: number;
  now: () => number;
}

export interface RotationOptions {
  /** Overrides the publish lead; 0 signs with the new key at once. */
  publishLeadMs?: number;
  /**
   * Retire every other key now (a compromised key), instead of after the retention period. The
   * new key then signs at once: with the others gone there is nothing to sign during a lead.
   */
  retireOthersNow?: boolean;
}

export type KeyState = 'pending' | 'active' | 'retiring';

export const signingKeySecretPath = (kid: string) => `jwt/signing-keys/${kid}`;

/**
 * The signing keys: which one signs now, which are published, when they rotate and retire.
 * State lives in the database (metadata) and the secrets provider (private halves), so every
 * replica converges on the same ring; the hot path (`signer()`, `jwks()`) touches neither.
 */
export class KeyRing {
  private live: SigningKeyRecord[] = [];
  private readonly signers = new Map<string, JwsSigner>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: KeyRingOptions) {}

  /** Loads the ring, creating the first key on a fresh install. */
  async start(tickMs = 15_000): Promise<void> {
    await this.reload();
    if (this.live.length === 0) await this.rotate({ publishLeadMs: 0 });
    this.unsubscribe = await this.options.bus.subscribe(KEY_CHANNEL, () => {
      void this.reload().catch((error: unknown) => this.options.logger.error({ err: error }, 'key ring reload failed'));
    });
    this.timer = setInterval(() => void this.tick(), tickMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
  }

  /** The key that signs now: the newest one whose activation has passed. */
  signer(): JwsSigner {
    if (this.options.secrets.status().status === 'down') {
      throw new SecretsUnavailableError('the secrets provider is down and its grace period is over');
    }
    const current = this.activeKey(this.options.now());
    const signer = current === undefined ? undefined : this.signers.get(current.kid);
    if (signer === undefined) throw new SecretsUnavailableError('no signing key is active');
    return signer;
  }

  /**
   * Of the keys whose activation has passed, the latest rotation's (the one not superseded, whose
   * retirement is unscheduled), else the one created last. A key still pending from an earlier
   * rotation must not take over from a later rotation's key when its activation time comes: that
   * rotation scheduled its retirement, so its tokens would outlive its publication.
   */
  private activeKey(now: number): SigningKeyRecord | undefined {
    const rank = (key: SigningKeyRecord): [number, number] => [key.retiresAt === null ? 1 : 0, key.createdAt.getTime()];
    let current: SigningKeyRecord | undefined;
    for (const key of this.live) {
      if (key.activatesAt.getTime() > now || (key.retiresAt !== null && key.retiresAt.getTime() <= now)) continue;
      if (current === undefined) {
        current = key;
        continue;
      }
      const [candidate, incumbent] = [rank(key), rank(current)];
      if (candidate[0] > incumbent[0] || (candidate[0] === incumbent[0] && candidate[1] >= incumbent[1])) current = key;
    }
    return current;
  }

  /** Public keys to publish: pending, active and retiring ones. */
  jwks(): { keys: Array<Record<string, unknown>> } {
    const now = this.options.now();
    return {
      keys: this.live
        .filter((k) => k.retiresAt === null || k.retiresAt.getTime() > now)
        .map((k) => k.publicJwk),
    };
  }

  /** Every key with its state, for the admin API and `authctl keys list`. */
  describe(): Array<{ kid: string; alg: string; state: KeyState; activatesAt: string; retiresAt: string | null }> {
    const now = this.options.now();
    const activeKid = this.activeKey(now)?.kid;
    return this.live.map((k) => ({
      kid: k.kid,
      alg: k.alg,
      state: k.kid === activeKid ? 'active' : k.activatesAt.getTime() > now ? 'pending' : 'retiring',
      activatesAt: k.activatesAt.toISOString(),
      retiresAt: k.retiresAt?.toISOString() ?? null,
    }));
  }

  isPublished(kid: string): boolean {
    const now = this.options.now();
    return this.live.some((k) => k.kid === kid && (k.retiresAt === null || k.retiresAt.getTime() > now));
  }

  /** Publishes a new key that signs after the lead time; every other key retires after the retention period. */
  async rotate(options: RotationOptions = {}): Promise<{ kid: string; activatesAt: Date; retired: string[] }> {
    const { db, repo, secrets, alg } = this.options;
    const now = this.options.now();
    const lead = options.retireOthersNow === true ? 0 : (options.publishLeadMs ?? this.options.publishLeadMs);
    const key = generateSigningKey(alg);
    const activatesAt = new Date(now + lead);
    // The private half is stored first: a key whose metadata exists must always be loadable.
    await secrets.write(signingKeySecretPath(key.kid), { jwk: JSON.stringify(key.privateJwk) });
    const retiresAt = options.retireOthersNow === true ? new Date(now) : new Date(activatesAt.getTime() + this.options.retentionMs);
    const retired = await db.transaction(async (tx) => {
      await repo.insert(
        { kid: key.kid, alg, publicJwk: key.publicJwk, secretRef: signingKeySecretPath(key.kid), createdAt: new Date(now), activatesAt, retiresAt: null },
        tx,
      );
      return repo.scheduleRetirement(key.kid, retiresAt, new Date(now), tx);
    });
    this.options.logger.info({ kid: key.kid, alg, activatesAt: activatesAt.toISOString(), retiring: retired }, 'signing key rotated');
    await this.reload();
    if (options.retireOthersNow === true) await this.announceRetired(retired);
    await this.broadcast({ type: 'published', kid: key.kid });
    return { kid: key.kid, activatesAt, retired: options.retireOthersNow === true ? retired : [] };
  }

  /** Re-reads the ring (another replica may have rotated) and announces keys that retired since. */
  async reload(): Promise<void> {
    const previous = new Set(this.live.map((k) => k.kid));
    const live = await this.options.repo.listLive(new Date(this.options.now()));
    for (const key of live) {
      if (!this.signers.has(key.kid)) this.signers.set(key.kid, await this.loadSigner(key));
    }
    this.live = live;
    const liveKids = new Set(live.map((k) => k.kid));
    for (const kid of this.signers.keys()) if (!liveKids.has(kid)) this.signers.delete(kid);
    await this.announceRetired([...previous].filter((kid) => !liveKids.has(kid)));
  }

  private async loadSigner(key: SigningKeyRecord): Promise<JwsSigner> {
    const secret = await this.options.secrets.read(key.secretRef);
    if (secret?.jwk === undefined) throw new Error(`private key for ${key.kid} is missing from the secrets provider`);
    return new JwsSigner(key.kid, key.alg as SigningAlgorithm, JSON.parse(secret.jwk) as Record<string, unknown>, ACCESS_TOKEN_TYPE);
  }

  /** A retired key's tokens are refused everywhere, even by an edge with a stale JWKS. */
  private async announceRetired(kids: string[]): Promise<void> {
    const expiresAt = new Date(this.options.now() + longestAccessTokenTtlMs(this.options.accessTokenTtlMs));
    for (const kid of kids) {
      if (await this.options.revocationRepo.isRevoked('key', kid)) continue;
      await this.options.revocations.revoke('key', kid, expiresAt);
      this.options.logger.info({ kid }, 'signing key retired');
    }
    if (kids.length > 0) await this.broadcast({ type: 'retired', kid: kids.join(',') });
  }

  private async broadcast(event: KeyEvent): Promise<void> {
    await this.options.bus.publish(KEY_CHANNEL, event).catch(() => undefined);
  }

  private async tick(): Promise<void> {
    try {
      await this.reload();
      await this.rotateIfDue();
    } catch (error) {
      // The ring keeps signing from memory; an unreachable database is logged once, as the outage
      // (database-watch.ts), not every tick, and the next tick tries again.
      if (!(error instanceof DatabaseUnavailableError)) this.options.logger.error({ err: error }, 'key ring maintenance failed');
    }
  }

  private async rotateIfDue(): Promise<void> {
    const interval = this.options.rotationIntervalMs;
    if (interval === 0) return;
    const now = this.options.now();
    const newest = this.live.at(-1);
    if (newest === undefined || newest.activatesAt.getTime() > now) return;
    if (newest.activatesAt.getTime() + interval <= now) {
      this.options.logger.info({ kid: newest.kid }, 'scheduled key rotation');
      await this.rotate();
    }
  }
}
