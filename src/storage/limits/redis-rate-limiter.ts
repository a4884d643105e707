// RateLimiter over Redis, shared by every node: one counter per key and window, counted in one
// Lua script so that concurrent hits on several nodes get distinct counts.
//
// The window's end is stored with the count and judged by the injected clock, exactly as the
// memory adapter does, so both adapters pass one contract and tests can move time by hand.
// Redis's own expiry only removes finished windows. Nodes must keep NTP time anyway (OAuth
// timestamps depend on it); a node whose clock is off shifts the windows it opens by that much.
import type { Clock } from '../../clock.ts';
import type { RateLimiter, RateWindow } from './rate-limiter.ts';
import { boundedKey, luaScript, type RedisClient } from './redis-client.ts';

// A window starts at its first hit, as in the memory adapter and on Twitter.
const HIT = luaScript(`
local now = tonumber(ARGV[1])
local reset = tonumber(redis.call('HGET', KEYS[1], 'r'))
if (not reset) or reset <= now then
  reset = now + tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'c', 0, 'r', reset)
end
local count = redis.call('HINCRBY', KEYS[1], 'c', 1)
redis.call('PEXPIRE', KEYS[1], math.max(reset - now, 1) + 60000)
return {count, reset}
`);

const PEEK = luaScript(`
local v = redis.call('HMGET', KEYS[1], 'c', 'r')
if (not v[1]) or (not v[2]) or tonumber(v[2]) <= tonumber(ARGV[1]) then return false end
return {tonumber(v[1]), tonumber(v[2])}
`);

export interface RedisRateLimiterOptions {
  /** Namespace of the keys; tests use one per run. */
  prefix?: string;
}

export class RedisRateLimiter implements RateLimiter {
  private readonly prefix: string;

  /** The client is shared and belongs to the caller, who closes it. */
  constructor(
    private readonly redis: RedisClient,
    private readonly clock: Clock,
    opts: RedisRateLimiterOptions = {},
  ) {
    this.prefix = opts.prefix ?? 'plumage:rate:';
  }

  async hit(key: string, windowMs: number): Promise<RateWindow> {
    if (!(windowMs > 0) || !Number.isFinite(windowMs)) throw new RangeError(`rate window must be positive, got ${windowMs}`);
    const reply = await this.redis.runScript(HIT, [boundedKey(this.prefix, key)], [this.clock.now(), Math.ceil(windowMs)]);
    const [count, resetAt] = reply as [number, number];
    return { count, resetAt };
  }

  async peek(key: string): Promise<RateWindow | null> {
    const reply = await this.redis.runScript(PEEK, [boundedKey(this.prefix, key)], [this.clock.now()]);
    if (!Array.isArray(reply)) return null;
    const [count, resetAt] = reply as [number, number];
    return { count, resetAt };
  }

  /** Nothing to release: the shared client is closed by its owner. */
  async close(): Promise<void> {}
}
