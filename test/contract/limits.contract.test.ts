// One contract per limits port, run against every adapter: NonceStore (memory, Redis) and
// RateLimiter (memory, Redis). Each adapter supplies a harness: the port, a second instance
// sharing its state (another node; the same object for in-process adapters) and a way to let
// time pass (a ManualClock for memory, real sleeping for Redis, whose keys expire in real
// time). Then the Redis-only faults: nothing listening, a server that never answers, a paused
// server, a killed and restarted one; every failure is StoreUnavailableError, fast, and a nonce
// that could not be checked is never accepted.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ManualClock, systemClock } from '../../src/clock.ts';
import type { NonceStore } from '../../src/storage/limits/nonce-store.ts';
import type { RateLimiter } from '../../src/storage/limits/rate-limiter.ts';
import { MemoryNonceStore } from '../../src/storage/limits/memory-nonce-store.ts';
import { MemoryRateLimiter } from '../../src/storage/limits/memory-rate-limiter.ts';
import { RedisNonceStore } from '../../src/storage/limits/redis-nonce-store.ts';
import { RedisRateLimiter } from '../../src/storage/limits/redis-rate-limiter.ts';
import { createRedis, type RedisClient, type RedisClientOptions } from '../../src/storage/limits/redis-client.ts';
import { StoreUnavailableError } from '../../src/storage/limits/errors.ts';
import { StorageUnavailableError } from '../../src/storage/unavailable.ts';
import { closedPort, deleteKeys, RedisServerProcess, redisServerOrSkip, redisUrlOrSkip, uniquePrefix } from '../helpers/redis.ts';

interface Harness<P> {
  port: P;
  /** Another instance over the same state, as on a second node. */
  peer: P;
  /** The adapter's clock. */
  now(): number;
  /** Lets ms of the adapter's time pass. */
  elapse(ms: number): Promise<void>;
  /** How far two readings of one window's end may differ, in ms (latency, rounding). */
  tolerance: number;
}

interface Adapter<P> {
  name: string;
  /** A maker of fresh harnesses, or null after skipping t (no Redis on this machine, no CI). */
  setUp(t: TestContext): Promise<{ make(): Harness<P>; tearDown(): Promise<void> } | null>;
}

type Cases<P> = Record<string, (h: Harness<P>) => Promise<void>>;

function runContract<P>(port: string, adapter: Adapter<P>, cases: Cases<P>): void {
  // Cases run side by side (each on its own keys and clock) so real-time waits overlap.
  test(`${port} contract: ${adapter.name}`, { concurrency: true }, async (t) => {
    const env = await adapter.setUp(t);
    if (!env) return;
    try {
      await Promise.all(Object.entries(cases).map(([name, run]) => t.test(name, () => run(env.make()))));
    } finally {
      await env.tearDown();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Adapters

function memoryAdapter<P>(create: (clock: ManualClock) => P): Adapter<P> {
  return {
    name: 'memory',
    async setUp() {
      return {
        make() {
          const clock = new ManualClock(Date.now());
          const port = create(clock);
          return { port, peer: port, now: () => clock.now(), elapse: async (ms) => clock.advance(ms), tolerance: 0 };
        },
        async tearDown() {},
      };
    },
  };
}

function redisAdapter<P>(create: (client: RedisClient, prefix: string) => P): Adapter<P> {
  return {
    name: 'redis',
    async setUp(t) {
      const url = await redisUrlOrSkip(t);
      if (url === null) return null;
      const prefix = uniquePrefix('limits');
      // Two clients, two connections: the port and its peer behave as two nodes.
      const a = createRedis(url);
      const b = createRedis(url);
      await Promise.all([a.ready(), b.ready()]);
      let n = 0;
      return {
        make() {
          const own = `${prefix}${n++}:`;
          return { port: create(a, own), peer: create(b, own), now: () => Date.now(), elapse: (ms) => sleep(ms), tolerance: 25 };
        },
        async tearDown() {
          try {
            await deleteKeys(a, prefix);
          } finally {
            await a.close();
            await b.close();
          }
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// NonceStore contract

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
const LONG = 'n'.repeat(2000);

const nonceCases: Cases<NonceStore> = {
  async 'the first use of a nonce is accepted, every repeat refused, on any node'({ port, peer }) {
    assert.equal(await port.consume('once', 60), true);
    assert.equal(await port.consume('once', 60), false);
    assert.equal(await peer.consume('once', 60), false);
    assert.equal(await peer.consume('once', 1), false, 'another ttl is still a repeat');
  },

  async 'different keys are independent, however alike'({ port, peer }) {
    const keys = [
      'a',
      'b',
      'ab',
      'a\u0000b',
      'a\u0000',
      'é',
      'e\u0301',
      'ck\u0000tok\u0000nonce',
      LONG,
      `${LONG.slice(1)}m`,
      `h:${sha256(LONG)}`, // what a hashed key might look like stored
      `k:a`,
    ];
    for (const [i, k] of keys.entries()) assert.equal(await (i % 2 ? peer : port).consume(k, 60), true, `first use of key ${i}`);
    for (const [i, k] of keys.entries()) assert.equal(await (i % 2 ? port : peer).consume(k, 60), false, `repeat of key ${i}`);
  },

  async 'a nonce is accepted again once its ttl has passed, and a repeat does not extend it'({ port, peer, elapse }) {
    assert.equal(await port.consume('ttl', 1), true);
    await elapse(600);
    assert.equal(await peer.consume('ttl', 1), false, 'within the ttl');
    await elapse(500);
    assert.equal(await peer.consume('ttl', 1), true, 'after the ttl of the first use');
    assert.equal(await port.consume('ttl', 1), false, 'recorded again');
  },

  async 'each key keeps its own ttl'({ port, elapse }) {
    assert.equal(await port.consume('short', 1), true);
    assert.equal(await port.consume('long', 60), true);
    await elapse(1100);
    assert.equal(await port.consume('short', 1), true);
    assert.equal(await port.consume('long', 60), false);
  },

  async '50 parallel uses of one nonce across nodes: exactly one is accepted'({ port, peer }) {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? peer : port).consume('race', 60)));
    assert.equal(results.filter((r) => r).length, 1);
  },

  async '200 parallel distinct nonces are all accepted'({ port, peer }) {
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? peer : port).consume(`many-${i}`, 60)));
    assert.ok(results.every((r) => r));
  },
};

runContract('NonceStore', memoryAdapter((clock) => new MemoryNonceStore(clock)), nonceCases);
runContract('NonceStore', redisAdapter((client, prefix) => new RedisNonceStore(client, { prefix })), nonceCases);

// ---------------------------------------------------------------------------------------------
// RateLimiter contract

const MINUTE = 60_000;

const rateCases: Cases<RateLimiter> = {
  async 'counts 1..n in a window that ends one window after the first hit, on any node'({ port, peer, now, tolerance }) {
    const before = now();
    const first = await port.hit('k', MINUTE);
    const after = now();
    assert.equal(first.count, 1);
    assert.ok(first.resetAt >= before + MINUTE - tolerance && first.resetAt <= after + MINUTE + tolerance, `resetAt ${first.resetAt - before - MINUTE} ms off`);
    for (let i = 2; i <= 10; i++) {
      const w = await (i % 2 ? port : peer).hit('k', MINUTE);
      assert.equal(w.count, i);
      assert.ok(Math.abs(w.resetAt - first.resetAt) <= tolerance, `hit ${i} moved the window end by ${w.resetAt - first.resetAt} ms`);
    }
  },

  async 'different keys are independent, however alike'({ port, peer }) {
    const keys = ['a', 'b', 'a\u0000/1.1/users/show', 'a\u0000/1.1/account/verify_credentials', LONG, `${LONG.slice(1)}m`, `h:${sha256(LONG)}`];
    for (const [i, k] of keys.entries()) assert.equal((await port.hit(k, MINUTE)).count, 1, `key ${i}`);
    for (const [i, k] of keys.entries()) assert.equal((await peer.hit(k, MINUTE)).count, 2, `key ${i}`);
  },

  async '50 parallel hits across nodes get the distinct counts 1..50'({ port, peer }) {
    const windows = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? peer : port).hit('race', MINUTE)));
    assert.deepEqual(
      windows.map((w) => w.count).sort((x, y) => x - y),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  },

  async 'a new window begins when the old one ends'({ port, peer, now, elapse, tolerance }) {
    const W = 500;
    const first = await port.hit('w', W);
    await port.hit('w', W);
    await elapse(300);
    assert.equal((await peer.hit('w', W)).count, 3, 'still the first window');
    await elapse(250);
    const before = now();
    const next = await peer.hit('w', W);
    assert.equal(next.count, 1, 'a new window');
    assert.ok(next.resetAt >= before + W - tolerance && next.resetAt > first.resetAt, 'ends one window after its first hit');
    assert.equal((await port.hit('w', W)).count, 2);
  },

  async 'peek reads a window without counting, on any node, and nothing once it ended'({ port, peer, elapse }) {
    const W = 500;
    assert.equal(await port.peek('p'), null);
    const first = await port.hit('p', W);
    await port.hit('p', W);
    const seen = await peer.peek('p');
    assert.equal(seen?.count, 2);
    assert.equal(seen?.resetAt, first.resetAt);
    assert.equal((await port.peek('p'))?.count, 2, 'peeking does not count');
    await elapse(W + 100);
    assert.equal(await peer.peek('p'), null);
  },

  async "each key's window starts at its own first hit"({ port, elapse }) {
    const W = 1000;
    await port.hit('early', W);
    await elapse(600);
    await port.hit('late', W);
    await elapse(500);
    assert.equal((await port.hit('early', W)).count, 1, 'the early window has ended');
    assert.equal((await port.hit('late', W)).count, 2, 'the late window has not');
  },
};

runContract('RateLimiter', memoryAdapter((clock) => new MemoryRateLimiter(clock)), rateCases);
runContract('RateLimiter', redisAdapter((client, prefix) => new RedisRateLimiter(client, systemClock, { prefix })), rateCases);

// ---------------------------------------------------------------------------------------------
// Redis faults

/** The promise's outcome, or 'hung' after ms; the timer never outlives the call. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'hung'> {
  const ac = new AbortController();
  try {
    return await Promise.race([promise, sleep(ms, 'hung' as const, { signal: ac.signal })]);
  } finally {
    ac.abort();
  }
}

/** Runs fn, which must reject with StoreUnavailableError (store 'redis') within ms. */
async function failsFast(fn: () => Promise<unknown>, ms: number, label: string): Promise<StoreUnavailableError> {
  const started = Date.now();
  let caught: unknown;
  const outcome = await within(
    fn().then(
      (value) => ({ value }),
      (err: unknown) => {
        caught = err;
        return null;
      },
    ),
    ms + 2000,
  );
  const elapsed = Date.now() - started;
  assert.notEqual(outcome, 'hung', `${label}: no answer after ${elapsed} ms`);
  assert.equal(outcome, null, `${label}: resolved ${JSON.stringify(outcome)} instead of failing`);
  assert.ok(caught instanceof StoreUnavailableError, `${label}: ${String(caught)}`);
  assert.ok(caught instanceof StorageUnavailableError && caught.store === 'redis', `${label}: answered 503 by the HTTP layer`);
  assert.ok(elapsed <= ms, `${label}: failed after ${elapsed} ms, allowed ${ms}`);
  return caught;
}

function capturedLog(): { lines: string[]; log: NonNullable<RedisClientOptions['log']> } {
  const lines: string[] = [];
  return {
    lines,
    log: {
      warn: (obj, msg) => lines.push(`warn ${msg} ${JSON.stringify(obj)}`),
      info: (obj, msg) => lines.push(`info ${msg} ${JSON.stringify(obj)}`),
    },
  };
}

test('Redis: an invalid URL is refused without repeating it', () => {
  assert.throws(
    () => createRedis('redis://user:hunter2@[::1'),
    (err: Error) => err instanceof TypeError && !err.message.includes('hunter2'),
  );
  assert.throws(() => createRedis('http://127.0.0.1:6379'), TypeError);
});

test('Redis: nothing listening → every call fails fast with StoreUnavailableError, logged once, no credentials anywhere', async () => {
  const port = await closedPort();
  const { lines, log } = capturedLog();
  const client = createRedis(`redis://plumage-user:hunter2-secret@127.0.0.1:${port}/0`, { log });
  const nonces = new RedisNonceStore(client);
  const limiter = new RedisRateLimiter(client, systemClock);
  try {
    const errors: Error[] = [];
    // At once (still connecting), then while it retries in the background.
    for (const wait of [0, 300, 700]) {
      await sleep(wait);
      errors.push(await failsFast(() => nonces.consume(`n${wait}`, 60), 100, `consume after ${wait} ms`));
      errors.push(await failsFast(() => limiter.hit(`h${wait}`, MINUTE), 100, `hit after ${wait} ms`));
    }
    assert.match(errors.at(-1)!.message, /ECONNREFUSED/, 'says why');
    errors.push(await failsFast(() => client.ready(300), 600, 'ready'));
    const text = [...errors.map((e) => `${e.message} ${e.stack} ${JSON.stringify(e)}`), ...lines].join('\n');
    assert.doesNotMatch(text, /hunter2|plumage-user/);
    assert.match(text, new RegExp(`127\\.0\\.0\\.1:${port}`), 'names the server');
    // Several reconnect attempts have failed by now, but the outage is one log line.
    assert.equal(lines.filter((l) => l.startsWith('warn')).length, 1, lines.join('\n'));
  } finally {
    await client.close();
    await client.close(); // idempotent
  }
  await failsFast(() => nonces.consume('closed', 60), 50, 'consume after close');
});

test('Redis: a server that accepts connections but never answers → StoreUnavailableError, no hang', async () => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as net.AddressInfo;
  const client = createRedis(`redis://127.0.0.1:${port}`, { commandTimeoutMs: 300 });
  const nonces = new RedisNonceStore(client);
  const limiter = new RedisRateLimiter(client, systemClock);
  try {
    for (const wait of [0, 400]) {
      await sleep(wait);
      await failsFast(() => nonces.consume('n', 60), 100, `consume after ${wait} ms`);
      await failsFast(() => limiter.hit('h', MINUTE), 100, `hit after ${wait} ms`);
    }
  } finally {
    await client.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});

test('Redis: a paused server → commands time out with StoreUnavailableError; it works again once resumed', async (t) => {
  const bin = redisServerOrSkip(t);
  if (bin === null) return;
  const server = await RedisServerProcess.start(bin);
  const client = createRedis(server.url, { commandTimeoutMs: 300 });
  try {
    await client.ready();
    const nonces = new RedisNonceStore(client);
    const limiter = new RedisRateLimiter(client, systemClock);
    assert.equal(await nonces.consume('before', 60), true);
    server.pause();
    const e = await failsFast(() => nonces.consume('paused', 60), 800, 'consume while paused');
    assert.match(e.message, /no answer in time/);
    await failsFast(() => limiter.hit('paused', MINUTE), 800, 'hit while paused');
    server.resume();
    assert.equal(await nonces.consume('after', 60), true);
    assert.equal(await nonces.consume('before', 60), false, 'state kept');
    assert.equal((await limiter.hit('after', MINUTE)).count, 1);
  } finally {
    server.resume();
    await client.close();
    await server.kill();
  }
});

test('Redis: killed → StoreUnavailableError, nothing hangs; restarted → the same client resumes by itself', async (t) => {
  const bin = redisServerOrSkip(t);
  if (bin === null) return;
  const server = await RedisServerProcess.start(bin);
  const { lines, log } = capturedLog();
  const client = createRedis(server.url, { log, maxRetryDelayMs: 200 });
  try {
    await client.ready();
    const nonces = new RedisNonceStore(client);
    const limiter = new RedisRateLimiter(client, systemClock);
    assert.equal(await nonces.consume('before', 60), true);
    assert.equal((await limiter.hit('before', MINUTE)).count, 1);

    // Commands in flight when Redis dies settle (answered or StoreUnavailableError); none hangs.
    const inflight = Array.from({ length: 100 }, (_, i) => (i % 2 ? nonces.consume(`inflight-${i}`, 60) : limiter.hit(`inflight-${i}`, MINUTE)));
    const allSettled = Promise.allSettled(inflight); // handled before any of them can fail
    await server.kill();
    const settled = await within(allSettled, 3000);
    assert.ok(settled !== 'hung', 'in-flight commands settled');
    for (const s of settled) {
      if (s.status === 'rejected') assert.ok(s.reason instanceof StoreUnavailableError, String(s.reason));
    }

    await failsFast(() => nonces.consume('down', 60), 100, 'consume while down');
    await failsFast(() => limiter.hit('down', MINUTE), 100, 'hit while down');
    await sleep(300); // let it fail a few reconnects
    await failsFast(() => nonces.consume('down', 60), 100, 'consume while still down');

    await server.start();
    const started = Date.now();
    let attempts = 0;
    let accepted: boolean | undefined;
    while (accepted === undefined) {
      attempts++;
      try {
        accepted = await nonces.consume('after', 60);
      } catch (err) {
        assert.ok(err instanceof StoreUnavailableError, String(err));
        assert.ok(Date.now() - started < 3000, `not back after ${attempts} attempts in ${Date.now() - started} ms`);
        await sleep(50);
      }
    }
    assert.equal(accepted, true);
    assert.equal(await nonces.consume('after', 60), false);
    // The restarted server has an empty script cache: the limiter loads its script again.
    assert.equal((await limiter.hit('after', MINUTE)).count, 1);
    assert.equal((await limiter.hit('after', MINUTE)).count, 2);
    assert.deepEqual(
      lines.map((l) => l.split(' ')[0]),
      ['warn', 'info'],
      `one line down, one line back:\n${lines.join('\n')}`,
    );
  } finally {
    await client.close();
    await server.kill();
  }
});

test('Redis: one client shared by both adapters; closing an adapter leaves it to its owner', async (t) => {
  const url = await redisUrlOrSkip(t);
  if (url === null) return;
  const prefix = uniquePrefix('shared');
  const client = createRedis(url);
  try {
    await client.ready();
    const nonces = new RedisNonceStore(client, { prefix: `${prefix}n:` });
    const limiter = new RedisRateLimiter(client, systemClock, { prefix: `${prefix}r:` });
    // The same key in both adapters lands in different namespaces.
    assert.equal(await nonces.consume('k', 60), true);
    assert.equal((await limiter.hit('k', MINUTE)).count, 1);
    await nonces.close();
    await limiter.close();
    assert.equal(await nonces.consume('k2', 60), true, 'still open after the adapters closed');
    assert.equal((await limiter.hit('k', MINUTE)).count, 2);
    await deleteKeys(client, prefix);
  } finally {
    await client.close();
  }
  await failsFast(() => new RedisNonceStore(client).consume('k3', 60), 50, 'after the owner closed it');
});
