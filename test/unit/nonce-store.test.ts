// The in-process nonce store (a hash table of keyed 64-bit digests in typed arrays) and the
// nonce lifetime the verifier asks for. The NonceStore contract both stores
// share is in test/contract/limits.contract.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { MemoryNonceStore } from '../../src/storage/limits/memory-nonce-store.ts';
import { nonceTtlSeconds } from '../../src/auth/auth.service.ts';

test('a replay is refused within the ttl and accepted once it has passed', async () => {
  const clock = new ManualClock(1_700_000_000_000);
  const store = new MemoryNonceStore(clock);
  assert.equal(await store.consume('ck\u0000tok\u0000n1', 10), true);
  clock.advance(9_999);
  assert.equal(await store.consume('ck\u0000tok\u0000n1', 10), false);
  assert.equal(await store.consume('ck\u0000tok\u0000n2', 10), true, 'another nonce is independent');
  clock.advance(1);
  assert.equal(await store.consume('ck\u0000tok\u0000n1', 10), true, 'expired at exactly its ttl');
  assert.equal(await store.consume('ck\u0000tok\u0000n1', 10), false);
});

test('keys longer than the scratch buffer, and multi-byte ones, are hashed whole', async () => {
  const store = new MemoryNonceStore(new ManualClock(1));
  const long = 'é'.repeat(1000);
  assert.equal(await store.consume(long, 60), true);
  assert.equal(await store.consume(`${long.slice(1)}e`, 60), true, 'differs only at the end');
  assert.equal(await store.consume(long, 60), false);
});

test('refuses a ttl that is not a positive number, like the Redis store', async () => {
  const store = new MemoryNonceStore(new ManualClock(1));
  for (const ttl of [0, -1, Number.NaN, Infinity]) await assert.rejects(store.consume('k', ttl), RangeError);
});

test('grows under many live entries, every one still refused, and shrinks once they expired', async () => {
  const clock = new ManualClock(1_700_000_000_000);
  const store = new MemoryNonceStore(clock);
  assert.equal(store.capacity, 1024);
  const n = 100_000;
  for (let i = 0; i < n; i++) assert.equal(await store.consume(`nonce-${i}`, 600), true);
  assert.ok(store.capacity >= n / 0.7, `capacity ${store.capacity} holds ${n} entries`);
  assert.ok(store.capacity <= 4 * (n / 0.35), `capacity ${store.capacity} is not oversized`);
  assert.equal(store.size, n);
  for (let i = 0; i < n; i += 97) assert.equal(await store.consume(`nonce-${i}`, 600), false, `replay of ${i}`);
  const grown = store.capacity;
  // All of them expire; fresh traffic reuses their slots and the next rebuild shrinks the table.
  clock.advance(600_001);
  for (let i = 0; i < grown; i++) {
    assert.equal(await store.consume(`later-${i}`, 1), true);
    if (i % 1000 === 999) clock.advance(1001);
  }
  assert.ok(store.capacity < grown / 8, `capacity ${store.capacity} after the burst expired (was ${grown})`);
  assert.ok(store.size <= 1000);
});

test('a table full of live entries grows to twice its size, not more', async () => {
  const store = new MemoryNonceStore(new ManualClock(1_700_000_000_000));
  const sizes = [store.capacity];
  for (let i = 0; i < 200_000; i++) {
    await store.consume(`grow-${i}`, 600);
    if (store.capacity !== sizes[sizes.length - 1]) sizes.push(store.capacity);
  }
  assert.deepEqual(sizes, Array.from({ length: sizes.length }, (_, i) => 1024 * 2 ** i));
  assert.ok(store.capacity >= 200_000 / 0.7);
});

test('steady traffic over many windows keeps the table bounded', async () => {
  const clock = new ManualClock(1_700_000_000_000);
  const store = new MemoryNonceStore(clock);
  let max = 0;
  // 50 requests per simulated second, each remembered for 20 s: about 1,000 live at any time.
  for (let s = 0; s < 400; s++) {
    for (let i = 0; i < 50; i++) assert.equal(await store.consume(`s${s}-n${i}`, 20), true);
    clock.advance(1000);
    max = Math.max(max, store.capacity);
  }
  assert.ok(max <= 8192, `largest table ${max} slots for about 1,000 live entries`);
  assert.equal(await store.consume('s399-n0', 20), false, 'the latest are still remembered');
});

test('the verifier asks to remember a nonce until its timestamp leaves the window (plus a margin)', () => {
  const skew = 300;
  const now = 1_700_000_000_000;
  const ts = now / 1000;
  assert.equal(nonceTtlSeconds(ts, now, skew), 305);
  assert.equal(nonceTtlSeconds(ts - 300, now, skew), 5, 'the oldest timestamp still accepted');
  assert.equal(nonceTtlSeconds(ts + 300, now, skew), 605, 'a timestamp from the future end of the window');
  assert.equal(nonceTtlSeconds(ts - 10_000, now, skew), 1, 'never below a second');
  assert.equal(nonceTtlSeconds(Number.NaN, now, skew), 605);
});
