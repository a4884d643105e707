// Failures in the middle of an upload: a blob store that refuses writes or deletes. The
// profile must stay as it was (500 / 131 and nothing half-written), and `plumage gc` must
// collect what a failed delete left behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startTestServer, tempDir, type Credentials, type TestServer } from '../helpers/server.ts';
import { signedFetch } from '../helpers/signing.ts';
import { fixture } from '../fixtures/images.ts';
import { FsBlobStore } from '../../src/storage/blobs/fs-blob-store.ts';
import { UsersRepository } from '../../src/storage/db/users.repository.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/plumage.js');

/** The real filesystem store, with switches to make puts or deletes fail. */
class FlakyStore extends FsBlobStore {
  failPutsAfter = Infinity;
  failDeletes = false;
  /** While set, deletes wait for it. */
  holdDeletes: Promise<void> | null = null;
  puts = 0;
  override async put(key: string, bytes: Buffer, contentType?: string, sameAs?: string): Promise<void> {
    if (++this.puts > this.failPutsAfter) throw new Error('disk full (simulated)');
    return super.put(key, bytes, contentType, sameAs);
  }
  override async delete(keys: readonly string[]): Promise<void> {
    await this.holdDeletes;
    if (this.failDeletes) throw new Error('store unreachable (simulated)');
    return super.delete(keys);
  }
}

async function keys(store: FsBlobStore): Promise<string[]> {
  const out: string[] = [];
  for await (const k of store.list('')) out.push(k);
  return out.sort();
}

function upload(server: TestServer, who: Credentials, name: Parameters<typeof fixture>[0]) {
  const form = new FormData();
  form.append('image', new Blob([fixture(name)]), name);
  return signedFetch(server.url, who, 'POST', '/1.1/account/update_profile_image.json', { body: form });
}

describe('nothing half-written when the blob store fails', () => {
  let server: TestServer;
  let store: FlakyStore;
  let alice: Credentials;
  const dataDir = tempDir();
  const cleanupErrors: string[][] = [];

  before(async () => {
    store = new FlakyStore(path.join(dataDir, 'media'));
    server = await startTestServer({ dataDir }, { blobs: store, onCleanupError: (_e, k) => cleanupErrors.push([...k]) });
    alice = await server.account('alice');
  });
  after(() => server.close());

  test("a square photo's original and 400x400 are one encode, stored once: a hard link on disk", async () => {
    const photo = await sharp({ create: { width: 600, height: 600, channels: 3, background: '#3366cc' } }).jpeg().toBuffer();
    const form = new FormData();
    form.append('image', new Blob([photo]), 'square.jpg');
    const r = await signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile_image.json', { body: form });
    assert.equal(r.status, 200, r.text);
    const url = new URL(r.json.profile_image_url_https as string);
    // …/profile_images/<id>/<name>_normal.jpg: the original drops the suffix.
    const normal = path.join(dataDir, 'media', ...decodeURIComponent(url.pathname).split('/').filter(Boolean));
    const original = normal.replace(/_normal\.jpg$/, '.jpg');
    const square = normal.replace(/_normal\.jpg$/, '_400x400.jpg');
    const [a, b] = [fs.statSync(original), fs.statSync(square)];
    assert.equal(a.ino, b.ino);
    assert.equal(a.nlink, 2);
    assert.deepEqual(Buffer.from(await (await fetch(url.href.replace(/_normal\.jpg$/, '_400x400.jpg'))).arrayBuffer()), fs.readFileSync(original));
  });

  test('a write that fails midway → 500 / 131, the profile unchanged, no partial blobs left', async () => {
    const first = await upload(server, alice, 'progressive.jpg');
    assert.equal(first.status, 200, first.text);
    // The avatar `first` replaced is deleted after the answer; take the snapshot once it is gone.
    await server.deps.appearance.settled();
    const storedBefore = await keys(store);
    store.puts = 0;
    store.failPutsAfter = 2;
    const r = await upload(server, alice, 'alpha.png');
    store.failPutsAfter = Infinity;
    assert.equal(r.status, 500);
    assert.equal(r.text, '{"errors":[{"code":131,"message":"Internal error"}]}');
    const now = await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json');
    assert.equal(now.json.profile_image_url, first.json.profile_image_url);
    assert.deepEqual(await keys(store), storedBefore);
    // The URL handed out before still works.
    assert.equal((await fetch(first.json.profile_image_url)).status, 200);
  });

  test('the answer does not wait for deleting the replaced avatar, which stays served until then', async () => {
    const a = await upload(server, alice, 'progressive.jpg');
    let release!: () => void;
    store.holdDeletes = new Promise<void>((r) => (release = r));
    try {
      const b = await upload(server, alice, 'alpha.png');
      assert.equal(b.status, 200, b.text);
      // Answered while the deletion is held: the new avatar is current, the old one still there.
      const now = await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json');
      assert.equal(now.json.profile_image_url, b.json.profile_image_url);
      assert.equal((await fetch(a.json.profile_image_url)).status, 200);
      assert.equal((await fetch(b.json.profile_image_url)).status, 200);
    } finally {
      release();
      store.holdDeletes = null;
    }
    await server.deps.appearance.settled();
    assert.equal((await fetch(a.json.profile_image_url)).status, 404);
  });

  test('the replaced avatar is deleted only once the switch is durable (survives a power loss)', async () => {
    const a = await upload(server, alice, 'progressive.jpg');
    const durable = UsersRepository.prototype.durable;
    let release!: () => void;
    const flushed = new Promise<void>((r) => (release = r));
    let asked = 0;
    UsersRepository.prototype.durable = async function () {
      asked++;
      await flushed;
      return durable.call(this);
    };
    try {
      const b = await upload(server, alice, 'alpha.png');
      assert.equal(b.status, 200, b.text);
      assert.equal(asked, 1);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal((await fetch(a.json.profile_image_url)).status, 200, 'deleted before the switch was durable');
    } finally {
      release();
      UsersRepository.prototype.durable = durable;
    }
    await server.deps.appearance.settled();
    assert.equal((await fetch(a.json.profile_image_url)).status, 404);
  });

  test('a failed delete after the switch keeps the new image; gc collects the old one later', async () => {
    const a = await upload(server, alice, 'progressive.jpg');
    await server.deps.appearance.settled();
    store.failDeletes = true;
    const b = await upload(server, alice, 'alpha.png');
    await server.deps.appearance.settled();
    store.failDeletes = false;
    assert.equal(b.status, 200);
    assert.notEqual(b.json.profile_image_url, a.json.profile_image_url);
    assert.equal(cleanupErrors.length, 1);
    // The stale blobs are still there, unreferenced.
    assert.equal((await fetch(a.json.profile_image_url)).status, 200);

    // Within the grace period gc keeps them (an upload might still be switching in).
    const young = await server.deps.gc.run({ graceMs: 3_600_000, dryRun: false });
    assert.equal(young.deleted, 0);
    assert.equal(young.young, 5);

    // The CLI: a dry run counts, a real run deletes, and both report progress on stderr.
    const dry = spawnSync(process.execPath, [BIN, 'gc', '--grace-minutes', '0', '--dry-run', '--json'], { env: { ...process.env, PLUMAGE_DATA_DIR: dataDir }, encoding: 'utf8' });
    assert.equal(dry.status, 0, dry.stderr);
    assert.deepEqual(JSON.parse(dry.stdout), { scanned: 10, deleted: 5, kept: 5, young: 0, dry_run: true });
    assert.equal((await fetch(a.json.profile_image_url)).status, 200);
    const real = spawnSync(process.execPath, [BIN, 'gc', '--grace-minutes', '0'], { env: { ...process.env, PLUMAGE_DATA_DIR: dataDir }, encoding: 'utf8' });
    assert.equal(real.status, 0, real.stderr);
    assert.match(real.stdout, /scanned 10 blobs: 5 in use, 0 too recent to judge, 5 deleted/);
    assert.match(real.stderr, /gc: scanned \d+, deleted 5/);
    assert.equal((await fetch(a.json.profile_image_url)).status, 404);
    assert.equal((await fetch(b.json.profile_image_url)).status, 200);
  });
});
