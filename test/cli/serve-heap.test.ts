// The old generation's growing factor of `plumage serve` (src/heap-tuning.ts): set by the
// serving process unless node was given --heap-growing-percent, which then wins. Spawned for
// real, as users start it; each server answers over HTTP before its log is read.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVING_HEAP_GROWING_PERCENT, tuneHeapForServing } from '../../src/heap-tuning.ts';
import { tempDir } from '../helpers/server.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'plumage.js');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node <nodeArgs> bin/plumage.js serve` at debug level, waits for its first answer to
 * GET /healthz, stops it, and returns the status and everything it wrote.
 */
async function serveOnce(dataDir: string, nodeArgs: string[]): Promise<{ status: number; log: string }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PLUMAGE_')) env[k] = v;
  Object.assign(env, { PLUMAGE_DATA_DIR: dataDir, PLUMAGE_PORT: String(port), PLUMAGE_HOST: '127.0.0.1', PLUMAGE_LOG_LEVEL: 'debug' });
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let status = 0;
  try {
    // Polled until it answers or the process ends (a failed start exits by itself).
    while (child.exitCode === null && status === 0) {
      status = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0);
      if (status === 0) await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    child.kill('SIGTERM');
    // The log is buffered; it is all written by the time the process has exited.
    await exited;
  }
  return { status, log };
}

describe('plumage serve: the heap growing factor', () => {
  let dir = '';
  before(() => {
    dir = tempDir('plumage-heap-');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the serving process sets --heap-growing-percent itself', async () => {
    const r = await serveOnce(dir, []);
    assert.equal(r.status, 200, r.log);
    assert.match(r.log, new RegExp(`"V8 heap: --heap-growing-percent=${SERVING_HEAP_GROWING_PERCENT} \\(node's own --heap-growing-percent overrides it\\)"`));
    assert.doesNotMatch(r.log, /unrecognized flag/, 'V8 knows the flag');
  });

  test("node's own --heap-growing-percent wins, and the server still serves", async () => {
    const r = await serveOnce(dir, ['--heap-growing-percent=50']);
    assert.equal(r.status, 200, r.log);
    assert.match(r.log, /"V8 heap: node's own --heap-growing-percent"/);
    assert.doesNotMatch(r.log, /--heap-growing-percent=200/);
  });
});

describe('tuneHeapForServing', () => {
  test('sets the flag when node was given none of its spellings', () => {
    const set: string[] = [];
    const r = tuneHeapForServing(['--max-old-space-size=512', '--enable-source-maps'], (f) => set.push(f));
    assert.deepEqual(set, [`--heap-growing-percent=${SERVING_HEAP_GROWING_PERCENT}`]);
    assert.equal(r.applied, set[0]);
  });

  test('leaves it to node for every spelling of the flag', () => {
    for (const argv of [['--heap-growing-percent=0'], ['--heap_growing_percent=300'], ['--heap-growing-percent', '100'], ['--inspect', '--heap-growing_percent=50']]) {
      const set: string[] = [];
      assert.deepEqual(tuneHeapForServing(argv, (f) => set.push(f)), { applied: null }, argv.join(' '));
      assert.deepEqual(set, []);
    }
  });

  test('a flag that only starts the same is not the flag', () => {
    const set: string[] = [];
    tuneHeapForServing(['--heap-growing-percentage=5'], (f) => set.push(f));
    assert.equal(set.length, 1);
  });
});
