// The image work queue and its settings (issue #7 item 6); the HTTP behaviour is in
// test/http/overload.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { OverCapacityError, WorkQueue } from '../../src/images/work-queue.ts';

function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

test('at most `concurrency` jobs run, at most `maxWaiting` wait in arrival order, the rest are refused at once', async () => {
  const q = new WorkQueue(2, 2);
  const started: number[] = [];
  const gates = Array.from({ length: 4 }, gate);
  const runs = gates.map((g, i) => q.run(async () => (started.push(i), await g.p, i)));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1]);
  assert.deepEqual(q.stats(), { running: 2, waiting: 2, refused: 0 });
  await assert.rejects(q.run(async () => 99), (e: unknown) => e instanceof OverCapacityError && /Over capacity/.test(e.message));
  assert.equal(q.stats().refused, 1);
  gates[1]!.open();
  assert.equal(await runs[1], 1);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2], 'the first waiting job takes the freed slot');
  assert.deepEqual(q.stats(), { running: 2, waiting: 1, refused: 1 });
  for (const g of gates) g.open();
  assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3]);
  assert.deepEqual(q.stats(), { running: 0, waiting: 0, refused: 1 });
});

test('a failing job frees its slot and its error reaches the caller', async () => {
  const q = new WorkQueue(1, 0);
  await assert.rejects(q.run(async () => { throw new Error('boom'); }), /boom/);
  assert.equal(await q.run(async () => 'next'), 'next');
  assert.deepEqual(q.stats(), { running: 0, waiting: 0, refused: 0 });
});

test('PLUMAGE_IMAGE_CONCURRENCY, PLUMAGE_IMAGE_QUEUE and PLUMAGE_MAX_EVENT_LOOP_DELAY: defaults, values, refusals', () => {
  const d = loadConfig({});
  assert.deepEqual(d.overload, { imageConcurrency: 2 * os.availableParallelism(), imageQueue: 16 * os.availableParallelism(), maxEventLoopDelayMs: 1000 });
  assert.ok(Object.isFrozen(d.overload));
  assert.deepEqual(loadConfig({ imageConcurrency: '3', imageQueue: '0', maxEventLoopDelay: '0' }).overload, { imageConcurrency: 3, imageQueue: 0, maxEventLoopDelayMs: 0 });
  assert.equal(loadConfig({ imageConcurrency: '3' }).overload.imageQueue, 24);
  assert.throws(() => loadConfig({ imageConcurrency: '0' }), (e: unknown) => e instanceof ConfigError && /PLUMAGE_IMAGE_CONCURRENCY/.test(e.message));
  assert.throws(() => loadConfig({ imageQueue: '-1' }), (e: unknown) => e instanceof ConfigError && /PLUMAGE_IMAGE_QUEUE/.test(e.message));
  assert.throws(() => loadConfig({ maxEventLoopDelay: 'soon' }), (e: unknown) => e instanceof ConfigError && /PLUMAGE_MAX_EVENT_LOOP_DELAY/.test(e.message));
});
