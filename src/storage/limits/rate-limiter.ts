// Port: counts requests per key in fixed windows (Twitter's 15-minute rate-limit windows).
export interface RateWindow {
  /** Requests counted in this window, including this one. */
  count: number;
  /** When the window ends, in milliseconds since the epoch. */
  resetAt: number;
}

export interface RateLimiter {
  /** Counts one request for key and returns its window. Must be atomic across callers. */
  hit(key: string, windowMs: number): Promise<RateWindow>;
  /** The current window of key without counting a request; null when none is open. */
  peek(key: string): Promise<RateWindow | null>;
  close(): Promise<void>;
}
