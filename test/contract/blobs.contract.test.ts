// One contract for the BlobStore port (DESIGN rule 3), run against every adapter: the local
// filesystem and S3 (s3rver, started here, with and without a key prefix). Then what only S3
// can do wrong: an unreachable, hung, failing or flaky endpoint, and the bucket and headers.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import type { Readable } from 'node:stream';
import type { BlobStore } from '../../src/storage/blobs/blob-store.ts';
import { FsBlobStore } from '../../src/storage/blobs/fs-blob-store.ts';
import {
  BlobStoreRejectedError,
  BlobStoreUnavailableError,
  S3BlobStore,
  ensureBucket,
  type S3BlobStoreOptions,
} from '../../src/storage/blobs/s3-blob-store.ts';
import { startS3, type TestS3 } from '../helpers/s3.ts';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function readBlob(store: BlobStore, key: string): Promise<Buffer | null> {
  const blob = await store.open(key);
  if (!blob) return null;
  const bytes = await readAll(blob.stream);
  assert.equal(blob.size, bytes.length, `size of ${key}`);
  return bytes;
}

async function listAll(store: BlobStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const k of store.list(prefix)) keys.push(k);
  return keys.sort();
}

async function inParallel<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const UNSAFE_KEYS = ['../x', 'a//b', '/abs', 'a/./b', 'a/../b', '', 'a/b/', 'a\\b', 'a b', '..', './a'];

interface ContractTarget {
  /** Called once before the suite. */
  start?(): Promise<void>;
  stop?(): Promise<void>;
  /** A fresh, empty store. */
  make(): Promise<BlobStore>;
  /** Enough keys for the listing to span several pages on adapters that page. */
  manyKeys: number;
}

function blobStoreContract(name: string, target: ContractTarget): void {
  describe(`BlobStore contract: ${name}`, () => {
    before(async () => target.start?.());
    after(async () => target.stop?.());

    it('round-trips bytes; the size equals the length', async () => {
      const store = await target.make();
      const bytes = crypto.randomBytes(300_000); // several stream chunks
      await store.put('profile_images/100/abc_normal.png', bytes, 'image/png');
      const back = await readBlob(store, 'profile_images/100/abc_normal.png');
      assert.ok(back && back.equals(bytes));
    });

    it('keeps every byte value and a one-byte blob', async () => {
      const store = await target.make();
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const twice = Buffer.concat([all, Buffer.from(all).reverse()]);
      await store.put('profile_banners/1/2/web', twice, 'image/png');
      await store.put('profile_banners/1/2/mobile', Buffer.from([0]), 'image/png');
      assert.ok((await readBlob(store, 'profile_banners/1/2/web'))?.equals(twice));
      assert.ok((await readBlob(store, 'profile_banners/1/2/mobile'))?.equals(Buffer.from([0])));
    });

    it('answers null for a missing key, also next to existing ones and for a folder', async () => {
      const store = await target.make();
      assert.equal(await store.open('profile_images/1/nothing.png'), null);
      await store.put('profile_images/1/a/b.png', Buffer.from('x'), 'image/png');
      assert.equal(await store.open('profile_images/1/a/c.png'), null);
      assert.equal(await store.open('profile_images/1/a'), null);
      assert.equal(await store.open('profile_images/1'), null);
    });

    it('put, delete, open: null, and the key is no longer listed', async () => {
      const store = await target.make();
      await store.put('profile_images/7/x.png', Buffer.from('one'), 'image/png');
      await store.put('profile_images/7/y.png', Buffer.from('two'), 'image/png');
      await store.delete(['profile_images/7/x.png']);
      assert.equal(await store.open('profile_images/7/x.png'), null);
      assert.deepEqual(await listAll(store, ''), ['profile_images/7/y.png']);
      assert.equal((await readBlob(store, 'profile_images/7/y.png'))?.toString(), 'two');
    });

    it('deletes missing keys, repeated keys and an empty list without complaint', async () => {
      const store = await target.make();
      await store.delete([]);
      await store.delete(['profile_images/1/never.png', 'profile_banners/9/9/web']);
      await store.put('profile_images/1/k.png', Buffer.from('k'), 'image/png');
      await store.delete(['profile_images/1/k.png', 'profile_images/1/k.png', 'profile_images/1/gone.png']);
      assert.equal(await store.open('profile_images/1/k.png'), null);
      assert.deepEqual(await listAll(store, ''), []);
    });

    it('lists by prefix, as a plain string prefix', async () => {
      const store = await target.make();
      const keys = [
        'profile_images/1/a.png',
        'profile_images/1/a_normal.png',
        'profile_images/12/b.png',
        'profile_background_images/1/c.gif',
        'profile_banners/1/1700000000/web',
      ];
      for (const k of keys) await store.put(k, Buffer.from(k), 'image/png');
      assert.deepEqual(await listAll(store, ''), [...keys].sort());
      assert.deepEqual(await listAll(store, 'profile_images/'), keys.slice(0, 3).sort());
      assert.deepEqual(await listAll(store, 'profile_images/1/'), keys.slice(0, 2).sort());
      assert.deepEqual(await listAll(store, 'profile_images/1'), keys.slice(0, 3).sort());
      assert.deepEqual(await listAll(store, 'profile_banners/'), [keys[4]]);
      assert.deepEqual(await listAll(store, 'nothing/'), []);
    });

    it(`lists every key exactly once across pages (${target.manyKeys} keys)`, async () => {
      const store = await target.make();
      const keys = Array.from({ length: target.manyKeys }, (_, i) => `profile_banners/${1000 + (i % 7)}/${1700000000 + i}/web`);
      await inParallel(keys, 16, (k) => store.put(k, Buffer.from([1]), 'image/png'));
      await store.put('profile_images/5/outside.png', Buffer.from([1]), 'image/png');
      const listed = await listAll(store, 'profile_banners/');
      assert.equal(listed.length, keys.length);
      assert.deepEqual(listed, [...keys].sort());
    });

    it('keeps listing correctly while listed keys are deleted (what gc does)', async () => {
      const store = await target.make();
      const keys = Array.from({ length: 30 }, (_, i) => `profile_images/${200 + i}/p.png`);
      await inParallel(keys, 8, (k) => store.put(k, Buffer.from('p'), 'image/png'));
      const seen: string[] = [];
      let batch: string[] = [];
      for await (const k of store.list('profile_images/')) {
        seen.push(k);
        batch.push(k);
        if (batch.length === 4) {
          await store.delete(batch);
          batch = [];
        }
      }
      await store.delete(batch);
      assert.deepEqual(seen.sort(), [...keys].sort());
      assert.deepEqual(await listAll(store, ''), []);
    });

    it('refuses unsafe keys: put and delete reject, open answers null, nothing is written', async () => {
      const store = await target.make();
      for (const key of UNSAFE_KEYS) {
        await assert.rejects(store.put(key, Buffer.from('evil'), 'image/png'), /unsafe blob key/, `put ${JSON.stringify(key)}`);
        assert.equal(await store.open(key), null, `open ${JSON.stringify(key)}`);
        await assert.rejects(store.delete([key]), /unsafe blob key/, `delete ${JSON.stringify(key)}`);
      }
      assert.deepEqual(await listAll(store, ''), []);
    });

    it('takes concurrent puts of different keys', async () => {
      const store = await target.make();
      const blobs = Array.from({ length: 40 }, (_, i) => ({ key: `profile_images/${300 + i}/c_bigger.jpg`, bytes: crypto.randomBytes(2000 + i * 500) }));
      await Promise.all(blobs.map((b) => store.put(b.key, b.bytes, 'image/jpeg')));
      for (const b of blobs) assert.ok((await readBlob(store, b.key))?.equals(b.bytes), b.key);
      assert.equal((await listAll(store, 'profile_images/')).length, blobs.length);
    });

    it('a put naming an identical stored blob (sameAs) stores the bytes under its own key; either may go', async () => {
      const store = await target.make();
      const bytes = crypto.randomBytes(60_000);
      await store.put('profile_images/120/o.jpg', bytes, 'image/jpeg');
      await store.put('profile_images/120/o_400x400.jpg', bytes, 'image/jpeg', 'profile_images/120/o.jpg');
      assert.ok((await readBlob(store, 'profile_images/120/o_400x400.jpg'))?.equals(bytes));
      await store.delete(['profile_images/120/o.jpg']);
      assert.equal(await store.open('profile_images/120/o.jpg'), null);
      assert.ok((await readBlob(store, 'profile_images/120/o_400x400.jpg'))?.equals(bytes));
      await store.delete(['profile_images/120/o_400x400.jpg']);
      assert.equal(await store.open('profile_images/120/o_400x400.jpg'), null);
    });

    it('keys announced with prepare (sameAs too) are put as usual; one deleted instead is gone', async () => {
      const store = await target.make();
      const bytes = crypto.randomBytes(40_000);
      const small = crypto.randomBytes(900);
      store.prepare?.([
        { key: 'profile_images/130/p.jpg' },
        { key: 'profile_images/130/p_400x400.jpg', sameAs: 'profile_images/130/p.jpg' },
        { key: 'profile_images/130/p_normal.jpg' },
        { key: 'profile_images/130/p_mini.jpg' },
      ]);
      await Promise.all([store.put('profile_images/130/p.jpg', bytes, 'image/jpeg'), store.put('profile_images/130/p_normal.jpg', small, 'image/jpeg')]);
      await store.put('profile_images/130/p_400x400.jpg', bytes, 'image/jpeg', 'profile_images/130/p.jpg');
      await store.delete(['profile_images/130/p_mini.jpg']);
      assert.ok((await readBlob(store, 'profile_images/130/p.jpg'))?.equals(bytes));
      assert.ok((await readBlob(store, 'profile_images/130/p_400x400.jpg'))?.equals(bytes));
      assert.ok((await readBlob(store, 'profile_images/130/p_normal.jpg'))?.equals(small));
      assert.equal(await store.open('profile_images/130/p_mini.jpg'), null);
      assert.deepEqual(await listAll(store, 'profile_images/130/'), ['profile_images/130/p.jpg', 'profile_images/130/p_400x400.jpg', 'profile_images/130/p_normal.jpg']);
    });

    it('a put of an existing key replaces it whole (an import over what it imported before)', async () => {
      const store = await target.make();
      const first = crypto.randomBytes(200_000);
      const second = crypto.randomBytes(3_000);
      await store.put('profile_images/400/r.png', first, 'image/png');
      await store.put('profile_images/400/r.png', second, 'image/png');
      assert.ok((await readBlob(store, 'profile_images/400/r.png'))?.equals(second));
      assert.deepEqual(await listAll(store, ''), ['profile_images/400/r.png']);
    });

    it('survives streams that are opened and dropped unread (the media route probes for 304s)', async () => {
      const store = await target.make();
      const bytes = crypto.randomBytes(1 << 20);
      await store.put('profile_background_images/9/big.png', bytes, 'image/png');
      // More than a connection pool holds: a leaked connection per dropped stream would hang here.
      for (let i = 0; i < 60; i++) {
        const blob = await store.open('profile_background_images/9/big.png');
        assert.ok(blob);
        assert.equal(blob.size, bytes.length);
        blob.stream.destroy();
      }
      assert.ok((await readBlob(store, 'profile_background_images/9/big.png'))?.equals(bytes));
    });
  });
}

// ---------------------------------------------------------------------------------------------

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumage-blobs-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

blobStoreContract('FsBlobStore', {
  make: async () => new FsBlobStore(path.join(tempDir(), 'media')),
  manyKeys: 300,
});

describe('FsBlobStore on disk', () => {
  const files = (root: string) =>
    (fs.readdirSync(root, { recursive: true, withFileTypes: true }) as fs.Dirent[])
      .filter((e) => e.isFile())
      .map((e) => path.relative(root, path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).split(path.sep).join('/'))
      .sort();
  /** Asserts that two keys are one file on disk (one inode, a hard link); returns how many names it has. */
  const oneFile = (root: string, first: string, second: string): number => {
    const [a, b] = [fs.statSync(path.join(root, first)), fs.statSync(path.join(root, second))];
    assert.equal(a.ino, b.ino);
    return b.nlink;
  };

  it('writes a new key in place: the file is made under its own name, with no temporary file', async () => {
    const root = path.join(tempDir(), 'media');
    const store: BlobStore = new FsBlobStore(root);
    const made: string[] = [];
    const watcher = fs.watch(root, { recursive: true }, (_event, name) => name && made.push(String(name).split(path.sep).join('/')));
    try {
      await store.put('profile_images/500/n_normal.jpg', crypto.randomBytes(50_000), 'image/jpeg');
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      watcher.close();
    }
    assert.deepEqual(files(root), ['profile_images/500/n_normal.jpg']);
    assert.deepEqual(made.filter((n) => n.endsWith('.tmp')), []);
  });

  // The store writes a file's bytes with fs.write (O_DSYNC: they reach the disk in the write)
  // and flushes a folder with fs.fsync, both through node:fs at call time: the tests below
  // hold them back by replacing them on the module, and put them back.
  type WriteCb = (err: NodeJS.ErrnoException | null, written: number) => void;
  type FsyncCb = (err: NodeJS.ErrnoException | null) => void;
  const writeOf = fs.write as unknown as (fd: number, b: Uint8Array, o: number, l: number, p: null, cb: WriteCb) => void;
  const fsyncOf = fs.fsync as unknown as (fd: number, cb: FsyncCb) => void;
  function hold(write: typeof writeOf | null, fsync: typeof fsyncOf | null): () => void {
    const mod = fs as unknown as { write: typeof writeOf; fsync: typeof fsyncOf };
    if (write) mod.write = write;
    if (fsync) mod.fsync = fsync;
    return () => {
      mod.write = writeOf;
      mod.fsync = fsyncOf;
    };
  }
  const turn = () => new Promise((r) => setImmediate(r));
  /** The path of an open descriptor (Linux), relative to `root`: what a flush is flushing. */
  const pathOf = (fd: number, root: string) => path.relative(fs.realpathSync(root), fs.readlinkSync(`/proc/self/fd/${fd}`)) || '.';
  /** Lets writes and flushes through, counted, until restore(); `flushed` names each folder flushed, relative to `root`. */
  function countWritesAndFlushes(root: string): { writes: number; flushes: number; flushed: string[]; restore: () => void } {
    const counts = { writes: 0, flushes: 0, flushed: [] as string[], restore: () => {} };
    counts.restore = hold(
      (fd, b, o, l, p, cb) => {
        counts.writes++;
        writeOf(fd, b, o, l, p, cb);
      },
      (fd, cb) => {
        counts.flushes++;
        counts.flushed.push(pathOf(fd, root));
        fsyncOf(fd, cb);
      },
    );
    return counts;
  }

  it('puts whose files were made before a folder flush started share that flush', async () => {
    const root = path.join(tempDir(), 'media');
    const store: BlobStore = new FsBlobStore(root);
    // Both files are made before either write goes on, so before any folder flush starts; the
    // flushes wait until both puts have asked for theirs.
    let writesStarted = 0;
    let writesDone = 0;
    let bothStarted!: () => void;
    const started = new Promise<void>((r) => (bothStarted = r));
    const flushed: string[] = [];
    const restore = hold(
      (fd, b, o, l, p, cb) => {
        if (++writesStarted === 2) bothStarted();
        void started.then(() =>
          writeOf(fd, b, o, l, p, (err, n) => {
            if (o + n >= b.length) writesDone++;
            cb(err, n);
          }),
        );
      },
      (fd, cb) => {
        flushed.push(pathOf(fd, root));
        void (async () => {
          while (writesDone < 2) await turn();
          await turn();
          fsyncOf(fd, cb);
        })();
      },
    );
    try {
      await Promise.all(['a', 'b'].map((n) => store.put(`profile_images/503/${n}.jpg`, crypto.randomBytes(20_000), 'image/jpeg')));
    } finally {
      restore();
    }
    assert.equal(writesStarted, 2);
    // The folder once for both files; and the two folders made for them (profile_images and
    // 503) are new entries in their parents, each flushed once too.
    assert.deepEqual(flushed.sort(), ['.', 'profile_images', 'profile_images/503']);
    assert.deepEqual(files(root), ['profile_images/503/a.jpg', 'profile_images/503/b.jpg']);
  });

  it('a put whose file was made while a folder flush was in flight waits for a flush that began after it', async () => {
    const root = path.join(tempDir(), 'media');
    const store: BlobStore = new FsBlobStore(root);
    // Flushes of the files' folder only (its parents are flushed once, for the folder made).
    let flushes = 0;
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((r) => (releaseFirst = r));
    let firstStarted!: () => void;
    const firstRunning = new Promise<void>((r) => (firstStarted = r));
    const restore = hold(null, (fd, cb) => {
      if (pathOf(fd, root) !== 'profile_images/504') fsyncOf(fd, cb);
      else if (++flushes === 1) {
        firstStarted();
        void firstHeld.then(() => fsyncOf(fd, cb));
      } else fsyncOf(fd, cb);
    });
    try {
      const a = store.put('profile_images/504/a.jpg', crypto.randomBytes(20_000), 'image/jpeg');
      await firstRunning;
      let bDone = false;
      const b = store.put('profile_images/504/b.jpg', crypto.randomBytes(20_000), 'image/jpeg').then(() => (bDone = true));
      // b's file is made while the first flush is held.
      while (!fs.existsSync(path.join(root, 'profile_images/504/b.jpg'))) await turn();
      releaseFirst();
      await a;
      await b;
      assert.equal(bDone, true);
      assert.equal(flushes, 2, 'b waited for a second flush');
    } finally {
      restore();
    }
  });

  const failing = (code: string, call: string) => Object.assign(new Error(`${code}: simulated, ${call}`), { code });
  const putFailures = [
    // Only a folder is flushed with fsync: the file's bytes were flushed by their write (O_DSYNC).
    { what: 'whose folder cannot be flushed', code: 'EIO', restore: () => hold(null, (_fd, cb) => setImmediate(() => cb(failing('EIO', 'fsync')))) },
    { what: 'whose write fails', code: 'ENOSPC', restore: () => hold((_fd, _b, _o, _l, _p, cb) => setImmediate(() => cb(failing('ENOSPC', 'write'), 0)), null) },
  ];
  for (const [i, f] of putFailures.entries()) {
    it(`a put ${f.what} is refused and leaves no file under its key`, async () => {
      const root = path.join(tempDir(), 'media');
      const store: BlobStore = new FsBlobStore(root);
      const key = `profile_images/${502 + i}/f_normal.jpg`;
      const restore = f.restore();
      try {
        await assert.rejects(store.put(key, crypto.randomBytes(10_000), 'image/jpeg'), new RegExp(f.code));
      } finally {
        restore();
      }
      assert.equal(await store.open(key), null);
      assert.deepEqual(files(root), []);
    });
  }

  it('writes the whole blob when the system writes it in several parts', async () => {
    const root = path.join(tempDir(), 'media');
    const store: BlobStore = new FsBlobStore(root);
    const bytes = crypto.randomBytes(70_000);
    let calls = 0;
    // At most 16 KiB per write, as a short write would leave it.
    const restore = hold((fd, b, o, l, p, cb) => {
      calls++;
      writeOf(fd, b, o, Math.min(l, 16_384), p, cb);
    }, null);
    try {
      await store.put('profile_images/506/f.jpg', bytes, 'image/jpeg');
    } finally {
      restore();
    }
    assert.equal(calls, 5);
    assert.ok((await readBlob(store, 'profile_images/506/f.jpg'))?.equals(bytes));
  });

  it('stores a put naming an identical blob (sameAs) as a hard link to its file, flushed with its folder', async () => {
    const root = path.join(tempDir(), 'media');
    const store: BlobStore = new FsBlobStore(root);
    const bytes = crypto.randomBytes(30_000);
    await store.put('profile_images/507/o.jpg', bytes, 'image/jpeg');
    const counted = countWritesAndFlushes(root);
    try {
      await store.put('profile_images/507/o_400x400.jpg', bytes, 'image/jpeg', 'profile_images/507/o.jpg');
    } finally {
      counted.restore();
    }
    assert.equal(counted.writes, 0, 'no bytes written again');
    assert.deepEqual(counted.flushed, ['profile_images/507'], 'the folder is flushed for the new name, and only it: no folder was made');
    assert.equal(oneFile(root, 'profile_images/507/o.jpg', 'profile_images/507/o_400x400.jpg'), 2);
  });

  it("a put that makes its folder flushes the folder's parent too (the new entry), and only the folders it made", async () => {
    const root = path.join(tempDir(), 'media');
    const store: BlobStore = new FsBlobStore(root);
    await store.put('profile_images/510/a.jpg', crypto.randomBytes(1_000), 'image/jpeg');
    const counted = countWritesAndFlushes(root);
    try {
      await store.put('profile_images/511/b.jpg', crypto.randomBytes(1_000), 'image/jpeg');
    } finally {
      counted.restore();
    }
    assert.deepEqual([...counted.flushed].sort(), ['profile_images', 'profile_images/511']);
    assert.deepEqual(files(root), ['profile_images/510/a.jpg', 'profile_images/511/b.jpg']);
  });

  it('a linked put (sameAs) whose folder cannot be flushed fails and leaves no new name', async () => {
    const root = path.join(tempDir(), 'media');
    const store: BlobStore = new FsBlobStore(root);
    const bytes = crypto.randomBytes(20_000);
    await store.put('profile_images/509/o.jpg', bytes, 'image/jpeg');
    const restore = hold(null, (_fd, cb) => setImmediate(() => cb(failing('EIO', 'fsync'))));
    try {
      await assert.rejects(store.put('profile_images/509/o_400x400.jpg', bytes, 'image/jpeg', 'profile_images/509/o.jpg'), /EIO/);
    } finally {
      restore();
    }
    assert.deepEqual(files(root), ['profile_images/509/o.jpg']);
    assert.equal(fs.statSync(path.join(root, 'profile_images/509/o.jpg')).nlink, 1);
  });

  it('writes the bytes when the blob named by sameAs cannot be linked (it is gone)', async () => {
    const root = path.join(tempDir(), 'media');
    const store: BlobStore = new FsBlobStore(root);
    const bytes = crypto.randomBytes(30_000);
    await store.put('profile_images/508/o_400x400.jpg', bytes, 'image/jpeg', 'profile_images/508/o.jpg');
    assert.ok((await readBlob(store, 'profile_images/508/o_400x400.jpg'))?.equals(bytes));
    assert.deepEqual(files(root), ['profile_images/508/o_400x400.jpg']);
    assert.equal(fs.statSync(path.join(root, 'profile_images/508/o_400x400.jpg')).nlink, 1);
  });

  const openFds = () => fs.readdirSync('/proc/self/fd').length;

  it('prepare makes the files and begins their folder flush at once; the puts then only write, and a sameAs is a link its first name fills', async () => {
    const root = path.join(tempDir(), 'media');
    const store: BlobStore = new FsBlobStore(root);
    const bytes = crypto.randomBytes(30_000);
    const small = crypto.randomBytes(800);
    const counted = countWritesAndFlushes(root);
    try {
      store.prepare!([
        { key: 'profile_images/520/q.jpg' },
        { key: 'profile_images/520/q_400x400.jpg', sameAs: 'profile_images/520/q.jpg' },
        { key: 'profile_images/520/q_mini.jpg' },
      ]);
      // Made, empty, and the folder's flush under way before any put.
      assert.deepEqual(files(root), ['profile_images/520/q.jpg', 'profile_images/520/q_400x400.jpg', 'profile_images/520/q_mini.jpg']);
      assert.equal(fs.statSync(path.join(root, 'profile_images/520/q.jpg')).size, 0);
      // The folder, and the parents of the two folders made for it.
      assert.deepEqual([...counted.flushed].sort(), ['.', 'profile_images', 'profile_images/520']);
      await store.put('profile_images/520/q_mini.jpg', small, 'image/jpeg');
      await store.put('profile_images/520/q.jpg', bytes, 'image/jpeg');
      await store.put('profile_images/520/q_400x400.jpg', bytes, 'image/jpeg', 'profile_images/520/q.jpg');
    } finally {
      counted.restore();
    }
    assert.equal(counted.writes, 2, 'the mini and the original; the 400x400 shares the original');
    assert.deepEqual([...counted.flushed].sort(), ['.', 'profile_images', 'profile_images/520'], 'one flush of the folder for the three names');
    oneFile(root, 'profile_images/520/q.jpg', 'profile_images/520/q_400x400.jpg');
    assert.ok((await readBlob(store, 'profile_images/520/q_400x400.jpg'))?.equals(bytes));
    assert.ok((await readBlob(store, 'profile_images/520/q_mini.jpg'))?.equals(small));
  });

  it('a prepared key deleted instead of put, or whose write fails, leaves no file and no open descriptor', async () => {
    const root = path.join(tempDir(), 'media');
    const store: BlobStore = new FsBlobStore(root);
    // Counted once the folder flushes of earlier tests have closed their descriptors.
    const settle = () => new Promise((r) => setTimeout(r, 100));
    await settle();
    const before = openFds();
    store.prepare!([{ key: 'profile_images/521/d.jpg' }, { key: 'profile_images/521/d_normal.jpg' }]);
    // The two files, and while their flushes run their folder and the parents of the two
    // folders made for it (profile_images and 521).
    assert.equal(openFds(), before + 5);
    await store.delete(['profile_images/521/d.jpg']);
    const restore = hold((_fd, _b, _o, _l, _p, cb) => setImmediate(() => cb(failing('ENOSPC', 'write'), 0)), null);
    try {
      await assert.rejects(store.put('profile_images/521/d_normal.jpg', crypto.randomBytes(5_000), 'image/jpeg'), /ENOSPC/);
    } finally {
      restore();
    }
    assert.deepEqual(files(root), []);
    await settle();
    assert.equal(openFds(), before);
  });

  it('prepare leaves an existing key and unsafe ones, and a put of a prepared second name without sameAs writes its own bytes', async () => {
    const root = path.join(tempDir(), 'media');
    const store: BlobStore = new FsBlobStore(root);
    const old = crypto.randomBytes(2_000);
    const fresh = crypto.randomBytes(3_000);
    const other = crypto.randomBytes(4_000);
    await store.put('profile_images/522/e.jpg', old, 'image/jpeg');
    store.prepare!([
      { key: 'profile_images/522/e.jpg' },
      { key: 'profile_images/522/f.jpg' },
      { key: 'profile_images/522/f_400x400.jpg', sameAs: 'profile_images/522/f.jpg' },
      // Never fails: unsafe keys are left to their puts, which refuse them.
      { key: '../x.jpg' },
      { key: 'profile_images/522/g.jpg', sameAs: '../x.jpg' },
    ]);
    assert.equal(fs.existsSync(path.join(root, 'profile_images/522/g.jpg')), false, 'no link to an unsafe key');
    await store.put('profile_images/522/e.jpg', fresh, 'image/jpeg');
    await store.put('profile_images/522/f.jpg', fresh, 'image/jpeg');
    await store.put('profile_images/522/f_400x400.jpg', other, 'image/jpeg');
    assert.ok((await readBlob(store, 'profile_images/522/e.jpg'))?.equals(fresh), 'replaced whole, as any put of an existing key');
    assert.ok((await readBlob(store, 'profile_images/522/f.jpg'))?.equals(fresh));
    assert.ok((await readBlob(store, 'profile_images/522/f_400x400.jpg'))?.equals(other), 'its own bytes, not a link');
    assert.equal(fs.statSync(path.join(root, 'profile_images/522/f.jpg')).nlink, 1);
  });

  it('replaces an existing key by a rename: a reader that opened it first reads the old bytes whole', async () => {
    const root = path.join(tempDir(), 'media');
    const store: BlobStore = new FsBlobStore(root);
    const old = crypto.randomBytes(400_000);
    const replacement = crypto.randomBytes(400_000);
    await store.put('profile_images/501/o.png', old, 'image/png');
    const blob = await store.open('profile_images/501/o.png');
    assert.ok(blob);
    await store.put('profile_images/501/o.png', replacement, 'image/png');
    const chunks: Buffer[] = [];
    for await (const c of blob.stream) chunks.push(c as Buffer);
    assert.ok(Buffer.concat(chunks).equals(old));
    assert.ok((await readBlob(store, 'profile_images/501/o.png'))?.equals(replacement));
    assert.deepEqual(files(root), ['profile_images/501/o.png']);
  });
});

function s3Target(extra: Partial<S3BlobStoreOptions>): ContractTarget {
  let s3: TestS3 | undefined;
  const stores: S3BlobStore[] = [];
  let n = 0;
  return {
    async start() {
      s3 = await startS3();
    },
    async stop() {
      for (const s of stores) s.close();
      await s3?.close();
    },
    async make() {
      // A fresh bucket per store keeps the listings of tests apart.
      const options = { ...s3!, bucket: `contract-${++n}`, ...extra };
      await ensureBucket(options);
      const store = new S3BlobStore(options);
      stores.push(store);
      return store;
    },
    // A small page size makes every listing in the contract page; 1100 keys with the server's
    // own page size are listed below.
    manyKeys: 60,
  };
}

blobStoreContract('S3BlobStore (s3rver)', s3Target({ pageSize: 7 }));
blobStoreContract('S3BlobStore (s3rver, key prefix)', s3Target({ pageSize: 5, prefix: 'plumage/media' }));

// ---------------------------------------------------------------------------------------------

/** A port on which nothing listens. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

interface TestHttpServer {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

async function startHttp(handler: http.RequestListener): Promise<TestHttpServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * An HTTP proxy to s3rver that records requests and, when `cut.uploads` is set, cuts every
 * upload larger than 64 KiB after passing its first 64 KiB on: a network failure in the middle
 * of a PutObject.
 */
async function startProxy(
  upstream: string,
): Promise<TestHttpServer & { cut: { uploads: boolean; count: number }; deletes: { keys: number; status: number }[] }> {
  const target = new URL(upstream);
  const cut = { uploads: false, count: 0 };
  const deletes: { keys: number; status: number }[] = [];
  const server = await startHttp((req, res) => {
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers });
    let body = '';
    if (req.method === 'POST' && /[?&]delete/.test(req.url ?? '')) req.on('data', (d: Buffer) => (body += d.toString()));
    up.on('response', (ur) => {
      if (body) deletes.push({ keys: body.split('<Key>').length - 1, status: ur.statusCode ?? 0 });
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    const limit = 64 * 1024;
    if (cut.uploads && req.method === 'PUT' && Number(req.headers['content-length']) > limit) {
      let sent = 0;
      req.on('data', (d: Buffer) => {
        if (sent < limit) up.write(d.subarray(0, limit - sent));
        sent += d.length;
      });
      // Let the server start writing the partial body, then drop both sides.
      setTimeout(() => {
        cut.count++;
        up.destroy();
        res.destroy();
      }, 200);
      return;
    }
    req.pipe(up);
  });
  return { ...server, cut, deletes };
}

/**
 * The call fails with BlobStoreUnavailableError, shows no credential, and gives up instead of
 * hanging. `withinMs` is a generous bound against a hang (retries with back-off, on a loaded
 * 2-core CI machine), not a speed requirement.
 */
async function assertUnavailable(what: string, p: Promise<unknown>, withinMs: number, secrets: string[] = []): Promise<void> {
  const t0 = Date.now();
  const err = await p.then(
    () => assert.fail(`${what} should have failed`),
    (e: unknown) => e,
  );
  const ms = Date.now() - t0;
  assert.ok(err instanceof BlobStoreUnavailableError, `${what}: ${util.inspect(err)}`);
  assert.equal(err.name, 'BlobStoreUnavailableError');
  assert.ok(ms < withinMs, `${what} took ${ms} ms`);
  const shown = `${err.message}\n${err.stack}\n${util.inspect(err, { depth: 5 })}\n${JSON.stringify(err)}`;
  for (const s of secrets) assert.ok(!shown.includes(s), `${what} shows a credential: ${shown}`);
}

describe('S3BlobStore against what S3 can do wrong', () => {
  let s3: TestS3;
  const stores: S3BlobStore[] = [];
  const make = (o: Partial<S3BlobStoreOptions> = {}): S3BlobStore => {
    const store = new S3BlobStore({ ...s3, ...o });
    stores.push(store);
    return store;
  };

  before(async () => {
    s3 = await startS3();
  });
  after(async () => {
    for (const s of stores) s.close();
    await s3.close();
  });

  it('fails fast with BlobStoreUnavailableError, without credentials, when nothing listens', async () => {
    const port = await closedPort();
    const secrets = ['AKIA-NOT-TO-BE-SHOWN', 'secret-NOT-TO-BE-SHOWN'];
    const store = make({ endpoint: `http://127.0.0.1:${port}`, accessKeyId: secrets[0], secretAccessKey: secrets[1] });
    await assertUnavailable('put', store.put('profile_images/1/a.png', Buffer.from('a'), 'image/png'), 20_000, secrets);
    await assertUnavailable('open', store.open('profile_images/1/a.png'), 20_000, secrets);
    await assertUnavailable('list', listAll(store, ''), 20_000, secrets);
    await assertUnavailable('delete', store.delete(['profile_images/1/a.png']), 20_000, secrets);
    await assertUnavailable('ensureBucket', ensureBucket({ ...s3, endpoint: `http://127.0.0.1:${port}` }), 20_000);
  });

  it('gives up on a server that accepts connections and never answers', async () => {
    const sockets = new Set<net.Socket>();
    const hung = net.createServer((c) => {
      sockets.add(c);
      c.on('error', () => {});
      c.resume();
    });
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    try {
      const store = make({ endpoint: `http://127.0.0.1:${(hung.address() as net.AddressInfo).port}`, requestTimeoutMs: 300, maxAttempts: 2 });
      await assertUnavailable('put', store.put('profile_images/1/a.png', Buffer.from('a'), 'image/png'), 20_000);
      await assertUnavailable('open', store.open('profile_images/1/a.png'), 20_000);
      await assertUnavailable('list', listAll(store, ''), 20_000);
    } finally {
      for (const c of sockets) c.destroy();
      await new Promise<void>((r) => hung.close(() => r()));
    }
  });

  it('retries a failing server, then reports it unavailable (5xx, SlowDown)', async () => {
    for (const [status, code] of [
      [500, 'InternalError'],
      [503, 'SlowDown'],
    ] as const) {
      const failing = await startHttp((_req, res) => {
        res.writeHead(status, { 'content-type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>no</Message></Error>`);
      });
      try {
        const store = make({ endpoint: failing.url, maxAttempts: 3 });
        await assertUnavailable(`open on ${status}`, store.open('profile_images/1/a.png'), 20_000);
        assert.equal(failing.requests.length, 3, 'three attempts');
        await assertUnavailable(`put on ${status}`, store.put('profile_images/1/a.png', Buffer.from('a'), 'image/png'), 20_000);
      } finally {
        await failing.close();
      }
    }
  });

  it('a put cut off mid-body fails and leaves nothing readable under its key', async () => {
    const proxy = await startProxy(s3.endpoint);
    try {
      const direct = make();
      const viaProxy = make({ endpoint: proxy.url });
      await viaProxy.put('profile_images/40/before.png', Buffer.from('old image'), 'image/png');
      proxy.cut.uploads = true;
      await assertUnavailable('cut put', viaProxy.put('profile_images/41/new.png', crypto.randomBytes(300_000), 'image/png'), 8000);
      assert.ok(proxy.cut.count >= 1, 'the proxy cut the upload');
      // Give a server still writing the cut body time to finish, then look directly.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await direct.open('profile_images/41/new.png'), null);
      assert.deepEqual(await listAll(direct, 'profile_images/41/'), []);
      assert.equal((await readBlob(direct, 'profile_images/40/before.png'))?.toString(), 'old image');
    } finally {
      await proxy.close();
    }
  });

  it('recovers by itself when the store comes back after an outage', async () => {
    const own = await startS3();
    try {
      const store = make({ ...own, maxAttempts: 2 });
      await store.put('profile_images/60/a.png', Buffer.from('kept'), 'image/png');
      await own.stop();
      await assertUnavailable('open while down', store.open('profile_images/60/a.png'), 20_000);
      await assertUnavailable('put while down', store.put('profile_images/60/b.png', Buffer.from('b'), 'image/png'), 20_000);
      await own.start();
      assert.equal((await readBlob(store, 'profile_images/60/a.png'))?.toString(), 'kept');
      await store.put('profile_images/60/b.png', Buffer.from('b'), 'image/png');
      assert.deepEqual(await listAll(store, 'profile_images/60/'), ['profile_images/60/a.png', 'profile_images/60/b.png']);
    } finally {
      await own.close();
    }
  });

  it('reports a missing bucket as a refusal, not as a missing blob or an outage', async () => {
    const store = make({ bucket: 'no-such-bucket' });
    await assert.rejects(store.open('profile_images/1/a.png'), BlobStoreRejectedError);
    await assert.rejects(store.put('profile_images/1/a.png', Buffer.from('a'), 'image/png'), BlobStoreRejectedError);
    await assert.rejects(listAll(store, ''), BlobStoreRejectedError);
  });

  it('ensureBucket creates a missing bucket, and is idempotent under concurrency', async () => {
    const options = { ...s3, bucket: 'ensured-bucket' };
    await Promise.all([ensureBucket(options), ensureBucket(options), ensureBucket(options)]);
    await ensureBucket(options);
    const store = make(options);
    await store.put('profile_images/1/a.png', Buffer.from('a'), 'image/png');
    assert.equal((await readBlob(store, 'profile_images/1/a.png'))?.toString(), 'a');
  });

  it('stores Content-Type and an immutable Cache-Control, under the prefix, without an ACL', async () => {
    const proxy = await startProxy(s3.endpoint);
    try {
      const store = make({ endpoint: proxy.url, prefix: '/tenant-a/' });
      await store.put('profile_images/50/x_normal.jpg', Buffer.from('jpeg'), 'image/jpeg');
      const put = proxy.requests.find((r) => r.startsWith('PUT '));
      assert.equal(put?.split('?')[0], `PUT /${s3.bucket}/tenant-a/profile_images/50/x_normal.jpg`);
      // s3rver serves unsigned GETs, which shows what a CDN in front of the bucket would get.
      const res = await fetch(`${s3.endpoint}/${s3.bucket}/tenant-a/profile_images/50/x_normal.jpg`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/jpeg');
      assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.equal(await res.text(), 'jpeg');
    } finally {
      await proxy.close();
    }
  });

  it('keeps stores with different prefixes in one bucket apart', async () => {
    const a = make({ prefix: 'node-a' });
    const b = make({ prefix: 'node-b' });
    const bare = make();
    await a.put('profile_images/1/a.png', Buffer.from('a'), 'image/png');
    await b.put('profile_images/1/b.png', Buffer.from('b'), 'image/png');
    assert.deepEqual(await listAll(a, ''), ['profile_images/1/a.png']);
    assert.deepEqual(await listAll(b, ''), ['profile_images/1/b.png']);
    assert.equal(await a.open('profile_images/1/b.png'), null);
    await a.delete(['profile_images/1/b.png']);
    assert.equal((await readBlob(b, 'profile_images/1/b.png'))?.toString(), 'b');
    assert.ok((await listAll(bare, 'node-')).includes('node-a/profile_images/1/a.png'));
    assert.throws(() => make({ prefix: '../up' }), /invalid S3 key prefix/);
  });

  it('lists 1100 keys over the server page size and deletes them in batches of at most 1000', async () => {
    const proxy = await startProxy(s3.endpoint);
    try {
      const options = { ...s3, endpoint: proxy.url, bucket: 'many-keys' };
      await ensureBucket(options);
      const store = make(options);
      const keys = Array.from({ length: 1100 }, (_, i) => `profile_banners/${i % 10}/${1600000000 + i}/mobile`);
      await inParallel(keys, 32, (k) => store.put(k, Buffer.from([i8(k)]), 'image/png'));
      const listed = await listAll(store, 'profile_banners/');
      assert.deepEqual(listed, [...keys].sort());
      assert.equal(proxy.requests.filter((r) => r.startsWith('GET ') && r.includes('list-type=2')).length, 2, 'two pages');
      await store.delete(keys);
      // s3rver sometimes fails a large DeleteObjects with a 500 (its concurrent deletes race to
      // remove emptied folders); the retry then succeeds. Count the batches that succeeded.
      const batches = proxy.deletes.filter((d) => d.status === 200).map((d) => d.keys);
      assert.ok(Math.max(...proxy.deletes.map((d) => d.keys)) <= 1000, 'at most 1000 keys a request');
      assert.deepEqual(batches.sort((a, b) => b - a), [1000, 100], 'two batches');
      assert.deepEqual(await listAll(store, ''), []);
    } finally {
      await proxy.close();
    }
  });
});

function i8(s: string): number {
  return s.length & 0xff;
}
