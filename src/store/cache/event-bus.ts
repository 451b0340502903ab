import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';

export type EventHandler = (message: unknown) => void;

/** Broadcast between services and replicas: revocations, key events. At most once; pull feeds fill gaps. */
export interface EventBus {
  readonly kind: 'memory' | 'redis';
  publish(channel: string, message: unknown): Promise<void>;
  /** Returns an unsubscribe function. */
  subscribe(channel: string, handler: EventHandler): Promise<() => void>;
  close(): Promise<void>;
}

/** In-process bus for the embedded default, where every service runs in one process. */
export class MemoryEventBus implements EventBus {
  readonly kind = 'memory' as const;
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(channel: string, message: unknown): Promise<void> {
    // Each subscriber gets its own copy, as it would over the wire.
    const payload = JSON.stringify(message);
    for (const listener of this.emitter.listeners(channel)) (listener as EventHandler)(JSON.parse(payload));
  }

  async subscribe(channel: string, handler: EventHandler): Promise<() => void> {
    this.emitter.on(channel, handler);
    return () => this.emitter.off(channel, handler);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

/** Redis pub/sub, shared by every replica. A subscriber needs its own connection in Redis. */
export class RedisEventBus implements EventBus {
  readonly kind = 'redis' as const;
  private readonly publisher: Redis;
  private subscriber: Redis | undefined;
  private readonly handlers = new Map<string, Set<EventHandler>>();

  constructor(private readonly url: string, private readonly onError: (error: Error) => void = () => undefined) {
    // Publishing gives up quickly while Redis is down; the revocation feed is the fallback path.
    this.publisher = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2, commandTimeout: 1000 });
    this.publisher.on('error', onError);
  }

  async publish(channel: string, message: unknown): Promise<void> {
    await this.publisher.publish(channel, JSON.stringify(message));
  }

  async subscribe(channel: string, handler: EventHandler): Promise<() => void> {
    const subscriber = this.ensureSubscriber();
    let set = this.handlers.get(channel);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(channel, set);
      await subscriber.subscribe(channel);
    }
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  private ensureSubscriber(): Redis {
    if (this.subscriber !== undefined) return this.subscriber;
    const subscriber = new Redis(this.url, { lazyConnect: false });
    subscriber.on('error', this.onError);
    subscriber.on('message', (channel: string, payload: string) => {
      let message: unknown;
      try {
        message = JSON.parse(payload);
      } catch {
        return;
      }
      for (const handler of this.handlers.get(channel) ?? []) handler(message);
    });
    this.subscriber = subscriber;
    return subscriber;
  }

  async close(): Promise<void> {
    this.publisher.disconnect();
    this.subscriber?.disconnect();
  }
}
