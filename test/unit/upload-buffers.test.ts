// The reused buffers uploads are read into (src/http/upload-buffers.ts) and the filesystem blob
// store's shared mkdir and folder flushes under concurrent puts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UploadBufferPool, UploadBytes } from '../../src/http/upload-buffers.ts';
import { MapParams } from '../../src/profile/params.ts';
import { FsBlobStore } from '../../src/storage/blobs/fs-blob-store.ts';

test('a released buffer is handed out again, never twice at once, and retention is bounded', () => {
  const pool = new UploadBufferPool(3 * 1024 * 1024, 2 * 1024 * 1024);
  const a = pool.acquire(700 * 1024);
  const b = pool.acquire(700 * 1024);
  assert.equal(a.length, 1024 * 1024, 'power-of-two size');
  assert.notEqual(a.buffer, b.buffer);
  pool.release(a);
  pool.release(b);
  assert.equal(pool.retainedBytes, 2 * 1024 * 1024);
  const c = pool.acquire(1000 * 1024);
  const d = pool.acquire(1000 * 1024);
  assert.ok(c === a || c === b);
  assert.ok((d === a || d === b) && d !== c);
  assert.equal(pool.retainedBytes, 0);
  pool.release(c);
  pool.release(d);
  pool.release(pool.acquire(1)); // a 64 KB one: within the bound
  pool.release(Buffer.alloc(1024 * 1024)); // would pass the bound: dropped
  assert.ok(pool.retainedBytes <= 3 * 1024 * 1024);
  const huge = pool.acquire(5 * 1024 * 1024);
  assert.equal(huge.length, 5 * 1024 * 1024, 'larger than the largest pooled size: exact, never kept');
  pool.release(huge);
  assert.ok(pool.retainedBytes <= 3 * 1024 * 1024);
});

test('UploadBytes grows past its first guess and keeps every byte in order', () => {
  const pool = new UploadBufferPool();
  const upload = new UploadBytes(pool, 10);
  const chunks = Array.from({ length: 40 }, (_, i) => crypto.randomBytes(1000 + i * 997));
  for (const c of chunks) upload.append(c);
  assert.deepEqual(upload.bytes(), Buffer.concat(chunks));
  upload.release();
  upload.release(); // twice is harmless
});

test('MapParams.releaseFiles: file() answers undefined afterwards and the release runs once', () => {
  let released = 0;
  const params = new MapParams(new Map([['tile', 'true']]), new Map([['image', Buffer.from('x')]]), () => released++);
  assert.equal(params.file('image')?.toString(), 'x');
  params.releaseFiles();
  params.releaseFiles();
  assert.equal(released, 1);
  assert.equal(params.file('image'), undefined);
  assert.equal(params.has('image'), false);
  assert.equal(params.get('tile'), 'true');
});

test('FsBlobStore: concurrent puts into one folder, while another folder is deleted, all land whole', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plumage-blobs-'));
  try {
    const store = new FsBlobStore(root);
    const old = Array.from({ length: 5 }, (_, i) => `profile_images/1/old_${i}.jpg`);
    await Promise.all(old.map((k) => store.put(k, Buffer.from(k))));
    const blobs = Array.from({ length: 20 }, (_, i) => [`profile_images/2/new_${i}.jpg`, crypto.randomBytes(5000 + i)] as const);
    await Promise.all([...blobs.map(([k, b]) => store.put(k, b)), store.delete(old)]);
    for (const [k, b] of blobs) assert.deepEqual(fs.readFileSync(path.join(root, k)), b, k);
    assert.equal(fs.existsSync(path.join(root, 'profile_images/1')), false, 'the emptied folder is pruned');
    const listed: string[] = [];
    for await (const k of store.list('')) listed.push(k);
    assert.deepEqual(listed.sort(), blobs.map(([k]) => k).sort(), 'no temporary files left');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
