// NonceStore over Redis, shared by every node: one atomic SET NX with an expiry per nonce, so
// a request replayed on another node is refused (reference/twitter-v1.1.md §5.3). When Redis
// cannot answer, consume throws StoreUnavailableError; it never reports a nonce as fresh that
// it could not check.
import type { NonceStore } from './nonce-store.ts';
import { boundedKey, type RedisClient } from './redis-client.ts';

export interface RedisNonceStoreOptions {
  /** Namespace of the keys; tests use one per run. */
  prefix?: string;
}

export class RedisNonceStore implements NonceStore {
  private readonly prefix: string;

  /** The client is shared and belongs to the caller, who closes it. */
  constructor(
    private readonly redis: RedisClient,
    opts: RedisNonceStoreOptions = {},
  ) {
    this.prefix = opts.prefix ?? 'plumage:nonce:';
  }

  async consume(key: string, ttlSeconds: number): Promise<boolean> {
    if (!(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) throw new RangeError(`nonce ttl must be positive, got ${ttlSeconds}`);
    // PX rather than EX: the same millisecond expiry as the memory store, fractions included.
    return this.redis.setIfAbsent(boundedKey(this.prefix, key), Math.ceil(ttlSeconds * 1000));
  }

  /** Nothing to release: the shared client is closed by its owner. */
  async close(): Promise<void> {}
}
