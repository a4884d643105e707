// In-process NonceStore for a single node. Expired keys are swept lazily, a bounded slice per
// call, so memory stays proportional to the requests of one window.
import type { Clock } from '../../clock.ts';
import type { NonceStore } from './nonce-store.ts';

export class MemoryNonceStore implements NonceStore {
  private readonly seen = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  async consume(key: string, ttlSeconds: number): Promise<boolean> {
    const now = this.clock.now();
    this.sweep(now);
    const expires = this.seen.get(key);
    if (expires !== undefined && expires > now) return false;
    // Re-inserting moves the key to the end, keeping the map ordered by insertion time.
    this.seen.delete(key);
    this.seen.set(key, now + ttlSeconds * 1000);
    return true;
  }

  private sweep(now: number): void {
    let budget = 64;
    for (const [k, exp] of this.seen) {
      if (exp > now || budget-- === 0) break;
      this.seen.delete(k);
    }
  }

  get size(): number {
    return this.seen.size;
  }

  async close(): Promise<void> {
    this.seen.clear();
  }
}
