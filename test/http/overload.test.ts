// Overload (issue #7 item 6), through HTTP: image work runs through a bounded queue, and an
// upload that finds the slots and the waiting list full is answered 503 / 130 "Over capacity"
// at once, having written nothing; reads and colour updates go on meanwhile. A saturated event
// loop turns every request away the same way until it recovers. No timing assertions: the
// queue is held full by jobs the test itself releases, and the event loop is saturated by the
// test until the server says so.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startTestServer, type Credentials, type TestServer } from '../helpers/server.ts';
import { signedFetch } from '../helpers/signing.ts';
import { assertTwitterError, avatarUrls, blobKeys, fetchMedia, postMultipart, showUser, stopServer, type ApiResult } from '../helpers/images.ts';

const IMAGE = '/1.1/account/update_profile_image.json';
const BACKGROUND = '/1.1/account/update_profile_background_image.json';
const BANNER = '/1.1/account/update_profile_banner.json';
const COLOURS = '/1.1/account/update_profile_colors.json';
const VERIFY = '/1.1/account/verify_credentials.json';

/** A small PNG of one colour: distinct bytes (and so distinct stored names) per colour. */
function solidPng(i: number, width = 64, height = 64): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53 + 7) % 256 } } })
    .png()
    .toBuffer();
}

function avatarKeys(u: any): string[] {
  return Object.values(avatarUrls(u.profile_image_url)).map((url) => new URL(url).pathname.slice(1)).sort();
}

function upload(server: TestServer, c: Credentials, bytes: Buffer): Promise<ApiResult> {
  return postMultipart(server, c, IMAGE, [{ name: 'image', value: bytes, filename: 'a.png' }]);
}

/** Occupies queue slots with jobs the test finishes when it wants. */
function holdSlot(server: TestServer): { release(): void; done: Promise<void> } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const done = server.deps.imageQueue.run(() => gate);
  return { release, done };
}

describe('the image queue (PLUMAGE_IMAGE_CONCURRENCY=1, PLUMAGE_IMAGE_QUEUE=1)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ imageConcurrency: '1', imageQueue: '1', rateLimits: 'off' });
  });
  after(() => stopServer(server));

  test('with the queue full every upload is 503 / 130 at once and writes nothing; reads and colours still answer', async () => {
    const c = await server.account('full');
    const first = await upload(server, c, await solidPng(1));
    assert.equal(first.status, 200, first.text);
    const before = await showUser(server, c);
    const keysBefore = await blobKeys(server);

    const running = holdSlot(server);
    const waiting = holdSlot(server);
    assert.deepEqual(server.deps.imageQueue.stats(), { running: 1, waiting: 1, refused: 0 });
    try {
      const png = await solidPng(2, 1200, 400);
      const refused = [
        await upload(server, c, png),
        await postMultipart(server, c, BACKGROUND, [{ name: 'image', value: png, filename: 'b.png' }, { name: 'tile', value: 'true' }]),
        await postMultipart(server, c, BANNER, [{ name: 'banner', value: png, filename: 'c.png' }]),
      ];
      for (const r of refused) assertTwitterError(r, 503, 130, 'Over capacity');
      assert.equal(refused[0]!.headers.get('content-type'), 'application/json; charset=utf-8');

      // The rest of the API does not wait for the images.
      const me = await signedFetch(server.url, c, 'GET', VERIFY);
      assert.equal(me.status, 200, me.text);
      const colours = await signedFetch(server.url, c, 'POST', COLOURS, { form: { profile_link_color: '0A0B0C' } });
      assert.equal(colours.status, 200, colours.text);
      assert.equal(colours.json.profile_link_color, '0A0B0C');

      // Nothing of the refused uploads was applied or stored (the background's tile=true too).
      const now = await showUser(server, c);
      assert.equal(now.profile_image_url, before.profile_image_url);
      assert.equal(now.profile_background_image_url, before.profile_background_image_url);
      assert.equal(now.profile_background_tile, before.profile_background_tile);
      assert.equal(now.profile_banner_url, undefined);
      assert.deepEqual(await blobKeys(server), keysBefore);
      assert.equal(server.deps.imageQueue.stats().refused, 3);

      // An upload is turned away before its body is read: a broken multipart body (400 / 214
      // once the queue has room, below) gets 503 / 130 while it is full.
      const garbage = { body: 'not multipart at all', contentType: 'multipart/form-data; boundary=xyz' };
      assertTwitterError(await signedFetch(server.url, c, 'POST', IMAGE, garbage), 503, 130, 'Over capacity');
      // A background update without an image has no image work: it is not refused.
      const tile = await signedFetch(server.url, c, 'POST', BACKGROUND, { form: { tile: 'true' } });
      assert.equal(tile.status, 200, tile.text);
      assert.equal(tile.json.profile_background_tile, true);
      assert.equal(server.deps.imageQueue.stats().refused, 4);
    } finally {
      running.release();
      waiting.release();
      await Promise.all([running.done, waiting.done]);
    }
    // Once the queue drains, uploads go through again.
    const again = await upload(server, c, await solidPng(3));
    assert.equal(again.status, 200, again.text);
    const garbage = { body: 'not multipart at all', contentType: 'multipart/form-data; boundary=xyz' };
    assertTwitterError(await signedFetch(server.url, c, 'POST', IMAGE, garbage), 400, 214);
    assert.deepEqual(server.deps.imageQueue.stats(), { running: 0, waiting: 0, refused: 4 });
  });

  test('12 uploads at once while one slot is busy: one waits and wins, eleven are 503 / 130, no orphan blobs', async () => {
    const c = await server.account('twelve');
    const start = await upload(server, c, await solidPng(20));
    assert.equal(start.status, 200, start.text);
    const others = (await blobKeys(server)).filter((k) => !avatarKeys(start.json).includes(k));
    const pngs = await Promise.all(Array.from({ length: 12 }, (_, i) => solidPng(21 + i, 300, 300)));

    const busy = holdSlot(server);
    const answered: ApiResult[] = [];
    const all = pngs.map((png) =>
      upload(server, c, png).then((r) => {
        answered.push(r);
        return r;
      }),
    );
    // Eleven answers come while the slot is still held: the twelfth is the one waiting.
    while (answered.length < 11) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(server.deps.imageQueue.stats().waiting, 1);
    for (const r of answered) assertTwitterError(r, 503, 130, 'Over capacity');
    busy.release();
    await busy.done;
    const results = await Promise.all(all);
    const accepted = results.filter((r) => r.status === 200);
    assert.equal(accepted.length, 1, results.map((r) => r.status).join(','));

    const back = await showUser(server, c);
    assert.equal(back.profile_image_url, accepted[0]!.json.profile_image_url);
    for (const url of Object.values(avatarUrls(back.profile_image_url))) assert.equal((await fetchMedia(url)).status, 200, url);
    // Exactly the winner's blobs: the refused uploads wrote nothing, the replaced avatar is gone.
    assert.deepEqual(await blobKeys(server), [...others, ...avatarKeys(back)].sort());
  });

  test('12 uploads at once with nothing held: each is 200 or 503 / 130, the user ends at an accepted one', async () => {
    const c = await server.account('burst');
    const start = await upload(server, c, await solidPng(40));
    assert.equal(start.status, 200, start.text);
    const others = (await blobKeys(server)).filter((k) => !avatarKeys(start.json).includes(k));
    const pngs = await Promise.all(Array.from({ length: 12 }, (_, i) => solidPng(41 + i, 800, 800)));
    const results = await Promise.all(pngs.map((png) => upload(server, c, png)));
    for (const r of results) if (r.status !== 200) assertTwitterError(r, 503, 130, 'Over capacity');
    const accepted = results.filter((r) => r.status === 200);
    assert.ok(accepted.length >= 1, 'at least the first upload to arrive is processed');
    const back = await showUser(server, c);
    assert.ok(accepted.some((r) => r.json.profile_image_url === back.profile_image_url), 'the avatar is one of the accepted uploads');
    assert.deepEqual(await blobKeys(server), [...others, ...avatarKeys(back)].sort());
    const me = await signedFetch(server.url, c, 'GET', VERIFY);
    assert.equal(me.status, 200, me.text);
  });
});

describe('a saturated event loop (PLUMAGE_MAX_EVENT_LOOP_DELAY=40)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ maxEventLoopDelay: '40', rateLimits: 'off' });
  });
  after(() => stopServer(server));

  test('every request is answered 503 / 130 with Retry-After until the loop recovers, then 200 again', async () => {
    const c = await server.account('loop');
    const ok = await signedFetch(server.url, c, 'GET', VERIFY);
    assert.equal(ok.status, 200, ok.text);

    // The server shares this process: keep its event loop busy in 150 ms slices (so requests
    // still get through, late) until a request is turned away.
    let saturate = true;
    const burner = (async () => {
      while (saturate) {
        const end = Date.now() + 150;
        while (Date.now() < end) {
          // busy: the event loop is blocked
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    let refused: Awaited<ReturnType<typeof signedFetch>> | undefined;
    try {
      for (let i = 0; i < 100 && !refused; i++) {
        const r = await signedFetch(server.url, c, 'POST', COLOURS, { form: { profile_text_color: 'ABCDEF' } });
        if (r.status !== 200) refused = r;
      }
    } finally {
      saturate = false;
      await burner;
    }
    assert.ok(refused, 'the saturated server never refused a request');
    assertTwitterError(refused, 503, 130, 'Over capacity');
    assert.equal(refused.headers.get('retry-after'), '5');

    // Recovery: the next samples show an idle loop and requests are served again.
    let last = refused;
    for (let i = 0; i < 100 && last.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      last = await signedFetch(server.url, c, 'GET', VERIFY);
    }
    assert.equal(last.status, 200, last.text);
  });
});
