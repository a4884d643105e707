// RateLimiter over Redis, shared by every node: one counter per key and window, counted and
// given its expiry in one Lua script so that concurrent hits on several nodes get distinct
// counts and a window is never left without an end.
//
// resetAt is the injected clock's now plus the key's PTTL, not Redis TIME: the window's length
// is Redis's (one expiry for every node), its position is told in the same clock as the
// memory adapter, the Date header and the OAuth timestamp check, so a node never mixes two
// clocks in one answer. Nodes whose clocks differ report resets that differ by that much.
import type { Clock } from '../../clock.ts';
import type { RateLimiter, RateWindow } from './rate-limiter.ts';
import { boundedKey, luaScript, type RedisClient } from './redis-client.ts';

// A window starts at its first hit, as in the memory adapter and on Twitter. A key found
// without an expiry (written by hand, or by something else) is given one rather than counting
// forever.
const HIT = luaScript(`
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
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
    const reply = await this.redis.runScript(HIT, [boundedKey(this.prefix, key)], [Math.ceil(windowMs)]);
    const [count, ttl] = reply as [number, number];
    return { count, resetAt: this.clock.now() + ttl };
  }

  /** Nothing to release: the shared client is closed by its owner. */
  async close(): Promise<void> {}
}
