// The one file that imports ioredis (DESIGN rule 4). One client per process, shared by the
// Redis nonce store and rate limiter and closed once by its owner (deps.ts).
//
// Tuned for a request path that must never wait on a dead Redis:
// - no offline queue: while disconnected a command fails at once instead of queueing;
// - commandTimeout: a Redis that accepts but does not answer (paused, black-holed) fails too;
// - maxRetriesPerRequest 0 and no resend of unanswered commands: SET NX and INCR are not
//   idempotent, and a command that reached Redis before the link broke would, resent, turn a
//   fresh request into a "replay" or count it twice. The caller gets a 503 and retries with a
//   new nonce instead;
// - retryStrategy reconnects forever with capped backoff, so service resumes by itself.
// Every failure becomes StoreUnavailableError with a reason we compose ourselves, and the URL is
// only ever shown without its user and password.
import crypto from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { StoreUnavailableError } from './errors.ts';

export interface RedisClientOptions {
  /** Give up connecting (TCP and TLS handshake) after this long; then retry. */
  connectTimeoutMs?: number;
  /** Fail a command that gets no answer within this long. */
  commandTimeoutMs?: number;
  /** Upper bound of the reconnect backoff. */
  maxRetryDelayMs?: number;
  /** Told once when Redis becomes unreachable and once when it is back (not per retry). */
  log?: { warn(obj: object, msg: string): void; info?(obj: object, msg: string): void };
}

/** A Lua script run with EVALSHA, falling back to EVAL when Redis does not know it yet. */
export interface LuaScript {
  readonly source: string;
  readonly sha1: string;
}

export function luaScript(source: string): LuaScript {
  return { source, sha1: crypto.createHash('sha1').update(source).digest('hex') };
}

// Keys longer than this are stored by their SHA-256: OAuth nonces and tokens are chosen by
// the client, and Redis keys should stay small whatever they send.
const MAX_RAW_KEY_BYTES = 100;

/**
 * The Redis key for an adapter key: short keys as they are (readable in redis-cli), long ones
 * hashed. The "k:" and "h:" spaces keep a raw key from ever equalling a hash.
 */
export function boundedKey(prefix: string, key: string): string {
  return Buffer.byteLength(key) <= MAX_RAW_KEY_BYTES
    ? `${prefix}k:${key}`
    : `${prefix}h:${crypto.createHash('sha256').update(key).digest('hex')}`;
}

/** The URL without user and password, for messages and logs. */
function redactedTarget(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

const NETWORK_CODES = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|ENOTFOUND|EAI_AGAIN|ECONNABORTED)$/;

/** A short reason for an ioredis failure that never repeats the driver's text verbatim. */
function reasonOf(err: unknown, lastConnectionError: string | null): string {
  const e = err as { name?: unknown; code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : '';
  const notConnected = lastConnectionError ? `not connected (${lastConnectionError})` : 'not connected';
  if (err === null) return notConnected;
  if (e?.name === 'MaxRetriesPerRequestError') return 'connection lost before Redis answered';
  if (message.includes('enableOfflineQueue') || message === 'Connection is closed.') return notConnected;
  if (message === 'Command timed out') return 'no answer in time';
  if (typeof e?.code === 'string' && NETWORK_CODES.test(e.code)) return e.code;
  if (e?.name === 'ReplyError') {
    // Redis error replies start with an upper-case code: LOADING, READONLY, OOM, NOAUTH...
    const word = /^[A-Z]+/.exec(message)?.[0];
    return `Redis replied ${word ?? 'an error'}`;
  }
  return 'unexpected failure';
}

/** What a connection-level error is called in logs: its errno code or a fixed phrase. */
function connectionErrorName(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof e?.code === 'string' && /^E[A-Z_]+$/.test(e.code)) return e.code;
  if (e?.message === 'Command timed out') return 'no answer in time';
  if (e?.name === 'ReplyError' && typeof e.message === 'string') {
    const word = /^[A-Z]+/.exec(e.message)?.[0];
    if (word) return word; // NOAUTH, WRONGPASS: never the rest of the line
  }
  return 'connection error';
}

export class RedisClient {
  /** Where it points, without credentials. */
  readonly target: string;
  private readonly redis: Redis;
  private readonly log: RedisClientOptions['log'];
  private up: boolean | null = null;
  private lastConnectionError: string | null = null;
  private closed = false;

  constructor(url: string, opts: RedisClientOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      // Not the input: it may hold a password.
      throw new TypeError('Redis URL is not valid (expected redis://[user:password@]host[:port][/db] or rediss://...)');
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw new TypeError(`Redis URL must start with redis:// or rediss:// (got ${parsed.protocol}//)`);
    }
    this.target = redactedTarget(parsed);
    this.log = opts.log;
    const maxDelay = opts.maxRetryDelayMs ?? 2000;
    const options: RedisOptions = {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: opts.connectTimeoutMs ?? 2000,
      commandTimeout: opts.commandTimeoutMs ?? 1000,
      // 50, 100, 200 ... ms, capped: quick after a blip, gentle on a long outage.
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times - 1, 16), maxDelay),
      // How long a socket being dropped may linger before it is destroyed (ioredis waits 2 s,
      // which holds a closing process open when the socket is already dead).
      disconnectTimeout: 100,
      connectionName: 'plumage',
    };
    this.redis = new Redis(url, options);
    // Without a listener ioredis prints every failed attempt to stderr; we log transitions.
    this.redis.on('error', (err: unknown) => {
      this.lastConnectionError = connectionErrorName(err);
      this.markDown();
    });
    this.redis.on('close', () => this.markDown());
    this.redis.on('ready', () => {
      const log = this.log;
      if (this.up === false && log) (log.info ?? log.warn).call(log, { redis: this.target }, 'Redis is reachable again');
      this.up = true;
      this.lastConnectionError = null;
    });
  }

  private markDown(): void {
    if (this.closed || this.up === false) return;
    this.up = false;
    this.log?.warn(
      { redis: this.target, reason: this.lastConnectionError ?? 'connection closed' },
      'Redis unreachable: nonce checks and rate limits answer 503 until it is back; reconnecting',
    );
  }

  /**
   * Resolves once connected, or rejects with StoreUnavailableError after timeoutMs. Commands
   * sent before the first connection fail (no offline queue), so the owner may wait here at
   * start-up; not waiting is fine too, the first requests then get 503.
   */
  async ready(timeoutMs = 2000): Promise<void> {
    if (this.closed) throw new StoreUnavailableError('client closed');
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        reject(new StoreUnavailableError(`${this.target} ${reasonOf(null, this.lastConnectionError)}`));
      }, timeoutMs);
      this.redis.once('ready', onReady);
    });
  }

  /** SET key 1 PX ttl NX: true when the key was absent and is now set. */
  async setIfAbsent(key: string, ttlMs: number): Promise<boolean> {
    const reply = await this.call(() => this.redis.set(key, '1', 'PX', ttlMs, 'NX'));
    return reply === 'OK';
  }

  /** Runs a script atomically (EVALSHA, or EVAL when the script cache lost it). */
  async runScript(script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return this.call(async () => {
      try {
        return await this.redis.evalsha(script.sha1, keys.length, ...keys, ...args);
      } catch (err) {
        // A restarted Redis has an empty script cache.
        if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
          return await this.redis.eval(script.source, keys.length, ...keys, ...args);
        }
        throw err;
      }
    });
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError('client closed');
    try {
      return await fn();
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  private unavailable(err: unknown): StoreUnavailableError {
    return new StoreUnavailableError(`${this.target} ${reasonOf(err, this.lastConnectionError)}`);
  }

  /** Quits politely when connected, else drops the socket; stops reconnecting. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.redis.status === 'ready') {
      try {
        await this.redis.quit();
        return;
      } catch {
        // fall through: the connection broke while quitting
      }
    }
    this.redis.disconnect();
  }
}

/** The process's Redis client; pass it to RedisNonceStore and RedisRateLimiter, close it once. */
export function createRedis(url: string, opts?: RedisClientOptions): RedisClient {
  return new RedisClient(url, opts);
}
