// GET application/rate_limit_status (reference §1.10): the current window of every rate-limited
// GET endpoint for the calling token, grouped in Twitter's resource families and under
// Twitter's names ("/users/show/:id"). Reading counts nothing; the call itself is counted by
// the rate-limit hook before this runs, as on Twitter (its own remaining shows 179).
import type { RateLimiter } from '../storage/limits/rate-limiter.ts';

export interface LimitedEndpoint {
  /** Twitter's family and name, e.g. "users", "/users/show/:id". */
  family: string;
  name: string;
  /** The counter's key for a token. */
  key(token: string): string;
  limit: number;
}

export interface LimitStatus {
  limit: number;
  remaining: number;
  /** Unix seconds. */
  reset: number;
}

export class RateLimitStatusService {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly endpoints: readonly LimitedEndpoint[],
    private readonly now: () => number,
    private readonly windowMs: number,
  ) {}

  /** families: the `resources` parameter split on commas; empty means all. Unknown ones are left out. */
  async status(token: string, families: readonly string[]): Promise<Record<string, Record<string, LimitStatus>>> {
    const wanted = this.endpoints.filter((e) => families.length === 0 || families.includes(e.family));
    const windows = await Promise.all(wanted.map((e) => this.limiter.peek(e.key(token))));
    const out: Record<string, Record<string, LimitStatus>> = {};
    wanted.forEach((e, i) => {
      const w = windows[i];
      (out[e.family] ??= {})[e.name] = {
        limit: e.limit,
        remaining: Math.max(0, e.limit - (w?.count ?? 0)),
        reset: Math.ceil((w?.resetAt ?? this.now() + this.windowMs) / 1000),
      };
    });
    return out;
  }
}
