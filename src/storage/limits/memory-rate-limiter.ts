// In-process RateLimiter for a single node: one counter per key and window, dropped when the
// window ends.
import type { Clock } from '../../clock.ts';
import type { RateLimiter, RateWindow } from './rate-limiter.ts';

export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, RateWindow>();

  constructor(private readonly clock: Clock) {}

  async hit(key: string, windowMs: number): Promise<RateWindow> {
    const now = this.clock.now();
    this.sweep(now);
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      // Windows start at the first request, as Twitter's did (reset is 15 minutes after it).
      w = { count: 0, resetAt: now + windowMs };
      this.windows.delete(key);
      this.windows.set(key, w);
    }
    w.count++;
    return { ...w };
  }

  async peek(key: string): Promise<RateWindow | null> {
    const w = this.windows.get(key);
    return w && w.resetAt > this.clock.now() ? { ...w } : null;
  }

  private sweep(now: number): void {
    let budget = 64;
    for (const [k, w] of this.windows) {
      if (w.resetAt > now || budget-- === 0) break;
      this.windows.delete(k);
    }
  }

  async close(): Promise<void> {
    this.windows.clear();
  }
}
