// POST account/update_profile_background_image through HTTP (issue #3 item 3): `image` by every
// transport and the seed's `file`, the tile and use flags, the "at least one of" rule, use=true
// without any image, the 2048 px width limit with animation kept, the 800 KB limit, and the
// user object fields; refusals leave the profile and the store unchanged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp, { type Metadata } from 'sharp';
import { startTestServer, twitterApiV2, type Credentials, type TestServer } from '../helpers/server.ts';
import { signedFetch } from '../helpers/signing.ts';
import { fixture, type FixtureName } from '../fixtures/images.ts';
import {
  BLUE,
  CONTENT_TYPE_OF_EXT,
  GREEN,
  RED,
  SHARP_FORMAT_OF_EXT,
  assertColour,
  assertNoMetadata,
  assertTwitterError,
  blobKeys,
  extensionOf,
  fetchMedia,
  pixel,
  postMultipart,
  showUser,
  twitterLite,
  type Rgb,
  stopServer,
} from '../helpers/images.ts';

const PATH = '/1.1/account/update_profile_background_image.json';

/** The background fields of a user object after an upload, and the served file decoded. */
async function checkBackground(server: TestServer, u: any, expect: { ext: string; width: number; height: number; pages?: number }): Promise<{ bytes: Buffer; meta: Metadata }> {
  assert.equal(typeof u.profile_background_image_url, 'string', JSON.stringify(u));
  assert.match(u.profile_background_image_url, new RegExp(`^${server.url}/profile_background_images/[1-9][0-9]*/[A-Za-z0-9_-]+\\.${expect.ext}$`));
  assert.equal(typeof u.profile_background_image_url_https, 'string');
  assert.equal(new URL(u.profile_background_image_url_https).pathname, new URL(u.profile_background_image_url).pathname);
  assert.equal(u.default_profile, false);
  assert.equal(typeof u.profile_background_tile, 'boolean');
  assert.equal(typeof u.profile_use_background_image, 'boolean');
  const s = await fetchMedia(u.profile_background_image_url);
  assert.equal(s.status, 200, u.profile_background_image_url);
  assert.equal(s.headers.get('content-type'), CONTENT_TYPE_OF_EXT[expect.ext]);
  const meta = await assertNoMetadata(s.bytes, `background ${expect.ext}`);
  assert.equal(meta.format, SHARP_FORMAT_OF_EXT[expect.ext]);
  assert.equal(meta.width, expect.width, 'width');
  assert.equal(meta.pageHeight ?? meta.height, expect.height, 'height');
  assert.equal(meta.pages ?? 1, expect.pages ?? 1, 'frames');
  assert.equal(extensionOf(u.profile_background_image_url), expect.ext);
  return { bytes: s.bytes, meta };
}

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => stopServer(server));

describe('update_profile_background_image: transports and the user object', () => {
  test('a fresh account has no background image and default_profile true', async () => {
    const c = await server.account('fresh');
    const u = await showUser(server, c);
    assert.equal(u.profile_background_image_url, null);
    assert.equal(u.profile_background_image_url_https, null);
    assert.equal(u.profile_background_tile, false);
    assert.equal(u.profile_use_background_image, true);
    assert.equal(u.default_profile, true);
  });

  test('twitter-api-v2 generic v1.post, forced form-data: image part without filename, tile=true', async () => {
    const c = await server.account('apiv2');
    const u = await twitterApiV2(server, c).post<any>('account/update_profile_background_image.json', { image: fixture('alpha.png'), tile: true }, { forceBodyMode: 'form-data' });
    assert.equal(u.id_str, c.userId);
    assert.equal(u.profile_background_tile, true);
    assert.equal(u.profile_use_background_image, true);
    const served = await checkBackground(server, u, { ext: 'png', width: 240, height: 160 });
    assertColour(await pixel(served.bytes, 30, 80), GREEN, 'alpha.png left');
    const back = await showUser(server, c);
    assert.equal(back.profile_background_image_url, u.profile_background_image_url);
    assert.equal(back.profile_background_image_url_https, u.profile_background_image_url_https);
    assert.equal(back.profile_background_tile, true);
    assert.equal(back.default_profile, false);
  });

  test('twitter-lite: base64 in the urlencoded body, tile=true (python-twitter sends tile=1)', async () => {
    const c = await server.account('lite');
    const u: any = await twitterLite(server, c).post('account/update_profile_background_image', { image: fixture('progressive.jpg').toString('base64'), tile: '1', skip_status: '1' });
    assert.equal(u.profile_background_tile, true);
    await checkBackground(server, u, { ext: 'jpg', width: 320, height: 240 });
    assert.equal((await showUser(server, c)).profile_background_image_url, u.profile_background_image_url);
  });

  test('tweepy: multipart part with filename and no part type, tile and skip_status in the query', async () => {
    const c = await server.account('tweepy');
    const r = await postMultipart(server, c, PATH, [{ name: 'image', value: fixture('grayscale.jpg'), filename: 'bg.jpg' }], { tile: 'True', skip_status: 'True' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.profile_background_tile, true);
    await checkBackground(server, r.json, { ext: 'jpg', width: 200, height: 150 });
  });

  test('base64 in the query, in a multipart text part, with a data: prefix; the path without .json', async () => {
    const c = await server.account('b64');
    const q = await signedFetch(server.url, c, 'POST', PATH, { query: { image: fixture('small.png').toString('base64') } });
    assert.equal(q.status, 200, q.text);
    // No tile given: it stays false.
    assert.equal(q.json.profile_background_tile, false);
    await checkBackground(server, q.json, { ext: 'png', width: 10, height: 10 });
    const part = await postMultipart(server, c, '/1.1/account/update_profile_background_image', [{ name: 'image', value: `data:image/webp;base64,${fixture('image.webp').toString('base64')}` }]);
    assert.equal(part.status, 200, part.text);
    await checkBackground(server, part.json, { ext: 'webp', width: 200, height: 150 });
    // The replaced background is deleted.
    assert.equal((await fetchMedia(q.json.profile_background_image_url)).status, 404);
  });

  test("the seed's `file` field: multipart file part and base64 text", async () => {
    const c = await server.account('seedfile');
    const f = await postMultipart(server, c, PATH, [{ name: 'file', value: fixture('interlaced.png'), filename: 'bg.png', contentType: 'image/png' }]);
    assert.equal(f.status, 200, f.text);
    await checkBackground(server, f.json, { ext: 'png', width: 200, height: 150 });
    const t = await signedFetch(server.url, c, 'POST', PATH, { form: { file: fixture('grayscale.png').toString('base64') } });
    assert.equal(t.status, 200, t.text);
    await checkBackground(server, t.json, { ext: 'png', width: 200, height: 150 });
    assert.notEqual(t.json.profile_background_image_url, f.json.profile_background_image_url);
    assert.equal((await showUser(server, c)).profile_background_image_url, t.json.profile_background_image_url);
  });

  test('EXIF orientation is applied and no metadata survives in a JPEG background', async () => {
    const c = await server.account('exif');
    const r = await postMultipart(server, c, PATH, [{ name: 'image', value: fixture('exif-orientation-6.jpg'), filename: 'bg.jpg', contentType: 'image/jpeg' }]);
    assert.equal(r.status, 200, r.text);
    const served = await checkBackground(server, r.json, { ext: 'jpg', width: 200, height: 300 });
    assertColour(await pixel(served.bytes, 100, 40), RED, 'top');
    assertColour(await pixel(served.bytes, 100, 260), BLUE, 'bottom');
  });
  test('CMYK and 16-bit backgrounds come out as 8-bit, 3-channel sRGB; an animated WebP keeps its frames', async () => {
    const c = await server.account('colourspace');
    for (const [name, ext, w, h] of [['cmyk.jpg', 'jpg', 300, 200], ['16bit.png', 'png', 200, 150]] as const) {
      const r = await postMultipart(server, c, PATH, [{ name: 'image', value: fixture(name), filename: name }]);
      assert.equal(r.status, 200, r.text);
      const served = await checkBackground(server, r.json, { ext, width: w, height: h });
      assert.equal(served.meta.space, 'srgb', name);
      assert.equal(served.meta.channels, 3, name);
      assert.equal(served.meta.depth, 'uchar', name);
    }
    const webp = await postMultipart(server, c, PATH, [{ name: 'image', value: fixture('animated.webp'), filename: 'a.webp' }]);
    assert.equal(webp.status, 200, webp.text);
    await checkBackground(server, webp.json, { ext: 'webp', width: 120, height: 80, pages: 3 });
  });
});

describe('update_profile_background_image: tile and use', () => {
  const TRUE = ['true', 't', '1', 'True', 'TRUE', 'T'];
  const FALSE = ['false', 'f', '0', 'False', 'no', 'yes', '2', 'on', ''];

  test('tile: true/t/1 in any case mean true; any other given value means false (no image needed)', async () => {
    const c = await server.account('tiler');
    for (const v of TRUE) {
      // Reset to false first so each true is a change.
      const off = await signedFetch(server.url, c, 'POST', PATH, { form: { tile: 'false' } });
      assert.equal(off.status, 200, off.text);
      assert.equal(off.json.profile_background_tile, false);
      const r = await signedFetch(server.url, c, 'POST', PATH, { form: { tile: v } });
      assert.equal(r.status, 200, `${JSON.stringify(v)}: ${r.text}`);
      assert.equal(r.json.profile_background_tile, true, `tile=${JSON.stringify(v)}`);
    }
    for (const v of FALSE) {
      const on = await signedFetch(server.url, c, 'POST', PATH, { query: { tile: 't' } });
      assert.equal(on.json.profile_background_tile, true);
      const r = await signedFetch(server.url, c, 'POST', PATH, { query: { tile: v } });
      assert.equal(r.status, 200, `${JSON.stringify(v)}: ${r.text}`);
      assert.equal(r.json.profile_background_tile, false, `tile=${JSON.stringify(v)}`);
      assert.equal((await showUser(server, c)).profile_background_tile, false);
    }
    // tile alone never touches use or the image.
    const u = await showUser(server, c);
    assert.equal(u.profile_use_background_image, true);
    assert.equal(u.profile_background_image_url, null);
  });

  test('use: any value other than true/t/1 turns the background off, without an image', async () => {
    const c = await server.account('user');
    for (const v of FALSE) {
      const r = await signedFetch(server.url, c, 'POST', PATH, { form: { use: v } });
      assert.equal(r.status, 200, `${JSON.stringify(v)}: ${r.text}`);
      assert.equal(r.json.profile_use_background_image, false, `use=${JSON.stringify(v)}`);
      assert.equal(r.json.default_profile, false);
    }
    assert.equal((await showUser(server, c)).profile_use_background_image, false);
  });

  test('use=true with no image now or before → 400 with a clear message, and nothing changes (tile neither)', async () => {
    const c = await server.account('noimage');
    const off = await signedFetch(server.url, c, 'POST', PATH, { form: { use: 'false' } });
    assert.equal(off.json.profile_use_background_image, false);
    const before = await showUser(server, c);
    const keys = await blobKeys(server);
    for (const v of ['true', 't', '1', 'True']) {
      const r = await signedFetch(server.url, c, 'POST', PATH, { form: { use: v, tile: 'true' } });
      assert.equal(r.status, 400, r.text);
      assert.ok(typeof r.json?.errors?.[0]?.code === 'number', r.text);
      const message: string = r.json.errors[0].message;
      assert.match(message, /\bimage\b/, message);
      assert.match(message, /\buse\b/, message);
    }
    const viaQuery = await signedFetch(server.url, c, 'POST', PATH, { query: { use: 'true' } });
    assert.equal(viaQuery.status, 400, viaQuery.text);
    assert.deepEqual(await showUser(server, c), before);
    assert.deepEqual(await blobKeys(server), keys);
  });

  test('use=true after an earlier image → 200; use=false keeps the image URL; image with use=false in one request', async () => {
    const c = await server.account('toggler');
    const up = await postMultipart(server, c, PATH, [{ name: 'image', value: fixture('small.png'), filename: 'a.png', contentType: 'image/png' }]);
    assert.equal(up.status, 200, up.text);
    const url = up.json.profile_background_image_url;
    const off = await signedFetch(server.url, c, 'POST', PATH, { form: { use: 'f' } });
    assert.equal(off.status, 200, off.text);
    assert.equal(off.json.profile_use_background_image, false);
    assert.equal(off.json.profile_background_image_url, url);
    const on = await signedFetch(server.url, c, 'POST', PATH, { form: { use: 'true' } });
    assert.equal(on.status, 200, on.text);
    assert.equal(on.json.profile_use_background_image, true);
    assert.equal(on.json.profile_background_image_url, url);
    assert.equal((await fetchMedia(url)).status, 200);
    const both = await postMultipart(server, c, PATH, [
      { name: 'image', value: fixture('grayscale.png'), filename: 'b.png' },
      { name: 'use', value: 'false' },
      { name: 'tile', value: 'true' },
    ]);
    assert.equal(both.status, 200, both.text);
    assert.equal(both.json.profile_use_background_image, false);
    assert.equal(both.json.profile_background_tile, true);
    assert.notEqual(both.json.profile_background_image_url, url);
    const back = await showUser(server, c);
    assert.equal(back.profile_use_background_image, false);
    assert.equal(back.profile_background_tile, true);
    assert.equal(back.profile_background_image_url, both.json.profile_background_image_url);
  });

  test('use=true together with a new image works on an account that never had one', async () => {
    const c = await server.account('firstuse');
    await signedFetch(server.url, c, 'POST', PATH, { form: { use: '0' } });
    const r = await signedFetch(server.url, c, 'POST', PATH, { form: { use: 'true', image: fixture('small.png').toString('base64') } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.profile_use_background_image, true);
    await checkBackground(server, r.json, { ext: 'png', width: 10, height: 10 });
  });

  test('none of image, tile, use → 400 / 38 naming them; nothing changes', async () => {
    const c = await server.account('empty');
    const before = await showUser(server, c);
    const forms: Array<Record<string, string>> = [{}, { skip_status: 'true', include_entities: 'false' }, { tiled: 'true', used: '1' }];
    for (const form of forms) {
      const r = await signedFetch(server.url, c, 'POST', PATH, { form });
      assertTwitterError(r, 400, 38);
      for (const p of ['image', 'tile', 'use']) assert.match(r.json.errors[0].message, new RegExp(`\\b${p}\\b`), r.json.errors[0].message);
    }
    assertTwitterError(await signedFetch(server.url, c, 'POST', PATH), 400, 38);
    assertTwitterError(await postMultipart(server, c, PATH, [{ name: 'picture', value: fixture('small.png'), filename: 'a.png', contentType: 'image/png' }]), 400, 38);
    assert.deepEqual(await showUser(server, c), before);
  });
});

describe('update_profile_background_image: sizes and refusals', () => {
  let c: Credentials;
  before(async () => {
    c = await server.account('sizes');
  });

  test('wider than 2048 px is scaled to 2048; an animated GIF keeps every frame (animated-wide.gif 2400×60 → 2048 wide, 3 frames)', async () => {
    const r = await postMultipart(server, c, PATH, [{ name: 'image', value: fixture('animated-wide.gif'), filename: 'bg.gif', contentType: 'image/gif' }]);
    assert.equal(r.status, 200, r.text);
    const served = await checkBackground(server, r.json, { ext: 'gif', width: 2048, height: Math.round((60 * 2048) / 2400), pages: 3 });
    assert.equal(served.meta.delay?.length, 3, `delay ${JSON.stringify(served.meta.delay)}`);
    assert.equal(served.meta.loop, 0);
    const expected: Rgb[] = [RED, GREEN, BLUE];
    for (const [page, colour] of expected.entries()) {
      const { data, info } = await sharp(served.bytes, { page }).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
      assert.equal(info.width, 2048);
      const i = (Math.floor(info.height / 2) * info.width + 1024) * info.channels;
      assertColour([data[i] ?? -1, data[i + 1] ?? -1, data[i + 2] ?? -1], colour, `frame ${page}`);
    }
  });

  test('a 3000×1000 JPEG is scaled to 2048×683; one narrower than 2048 is never enlarged', async () => {
    const r = await postMultipart(server, c, PATH, [{ name: 'image', value: fixture('wide.jpg'), filename: 'w.jpg' }]);
    assert.equal(r.status, 200, r.text);
    const served = await checkBackground(server, r.json, { ext: 'jpg', width: 2048, height: 683 });
    assertColour(await pixel(served.bytes, 300, 340), RED, 'red left third');
    const small = await postMultipart(server, c, PATH, [{ name: 'image', value: fixture('animated.gif'), filename: 'a.gif' }]);
    assert.equal(small.status, 200, small.text);
    await checkBackground(server, small.json, { ext: 'gif', width: 120, height: 80, pages: 3 });
    assert.equal((await fetchMedia(r.json.profile_background_image_url)).status, 404, 'the replaced background is deleted');
  });

  test('a photo under 800 KB is accepted; more than 800 KB → 413 / 193 by multipart and base64, nothing changes', async () => {
    const photo = fixture('photo-700k.jpg');
    const ok = await signedFetch(server.url, c, 'POST', PATH, { form: { image: photo.toString('base64') } });
    assert.equal(ok.status, 200, ok.text);
    await checkBackground(server, ok.json, { ext: 'jpg', width: 1600, height: 1200 });
    const before = await showUser(server, c);
    const keys = await blobKeys(server);
    const over = Buffer.concat([photo, Buffer.alloc(800 * 1024 + 1 - photo.length)]);
    assertTwitterError(await postMultipart(server, c, PATH, [{ name: 'image', value: over, filename: 'big.jpg', contentType: 'image/jpeg' }]), 413, 193);
    assertTwitterError(await signedFetch(server.url, c, 'POST', PATH, { form: { image: over.toString('base64'), tile: 'true' } }), 413, 193);
    assertTwitterError(await postMultipart(server, c, PATH, [{ name: 'file', value: Buffer.concat([over, over]), filename: 'big.jpg' }]), 413, 193);
    assert.deepEqual(await showUser(server, c), before);
    assert.deepEqual(await blobKeys(server), keys);
  });

  const REFUSED: Array<[FixtureName, number, number]> = [
    ['empty.png', 400, 38],
    ['truncated.jpg', 400, 470],
    ['truncated.png', 400, 470],
    ['image.svg', 400, 471],
    ['html.png', 400, 471],
    ['bomb.png', 422, 472],
  ];
  test(`refused images (${REFUSED.map(([n]) => n).join(', ')}) change nothing, tile included`, async () => {
    const before = await showUser(server, c);
    const keys = await blobKeys(server);
    for (const [name, status, code] of REFUSED) {
      assertTwitterError(await postMultipart(server, c, PATH, [{ name: 'image', value: fixture(name), filename: name }, { name: 'tile', value: 'true' }]), status, code);
      assertTwitterError(await signedFetch(server.url, c, 'POST', PATH, { form: { image: fixture(name).toString('base64'), use: 'false' } }), status, code);
    }
    assertTwitterError(await signedFetch(server.url, c, 'POST', PATH, { form: { image: '%%%not-base64%%%', tile: 'true' } }), 400, 470);
    assert.deepEqual(await showUser(server, c), before);
    assert.deepEqual(await blobKeys(server), keys);
  });
});
