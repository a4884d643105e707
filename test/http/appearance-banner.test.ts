// The banner calls through HTTP (issue #3 item 4): POST account/update_profile_banner by
// twitter-api-v2 (multipart), twitter-lite (base64 urlencoded) and twit's shape (base64 in the
// query string), the empty 201, the crop region, the limits, GET users/profile_banner with its
// ten PNG variants decoded at their exact sizes, and POST account/remove_profile_banner.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, twitterApiV2, type Credentials, type TestServer } from '../helpers/server.ts';
import { signedFetch } from '../helpers/signing.ts';
import { fixture } from '../fixtures/images.ts';
import {
  BLUE,
  RED,
  assertColour,
  assertTwitterError,
  blobKeys,
  checkBannerVariants,
  fetchMedia,
  halvesPng,
  noisyPng,
  pixel,
  postMultipart,
  showUser,
  twitterLite,
  type ApiResult,
  stopServer,
  BANNER_SIZES,
} from '../helpers/images.ts';

const PATH = '/1.1/account/update_profile_banner.json';

/** A banner upload's success: 201, an empty body and Content-Length: 0 (twitter-lite needs it). */
function assertEmpty201(r: ApiResult): void {
  assert.equal(r.status, 201, r.text);
  assert.equal(r.text, '');
  assert.equal(r.headers.get('content-length'), '0');
  assert.equal(r.headers.get('transfer-encoding'), null);
}

async function bannerSizes(server: TestServer, c: Credentials, query: Record<string, string> = {}): Promise<ApiResult> {
  return signedFetch(server.url, c, 'GET', '/1.1/users/profile_banner.json', { query });
}

/**
 * The sizes map has exactly the ten variants with Twitter's w/h, each URL under the user's
 * profile_banner_url, and each variant decodes as a PNG at exactly that size with no metadata.
 * Returns the decoded files by variant.
 */
async function checkBanner(server: TestServer, c: Credentials): Promise<{ bannerUrl: string; files: Record<string, Buffer> }> {
  const u = await showUser(server, c);
  assert.equal(typeof u.profile_banner_url, 'string', 'profile_banner_url in users/show');
  const bannerUrl: string = u.profile_banner_url;
  assert.match(bannerUrl, new RegExp(`/profile_banners/${c.userId}/\\d+$`));
  const r = await bannerSizes(server, c);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(Object.keys(r.json), ['sizes']);
  const { files } = await checkBannerVariants(r.json.sizes, bannerUrl, { noMetadata: true });
  return { bannerUrl, files };
}

async function assertNoBanner(server: TestServer, c: Credentials, oldUrl?: string): Promise<void> {
  const u = await showUser(server, c);
  assert.equal('profile_banner_url' in u, false, `profile_banner_url still there: ${u.profile_banner_url}`);
  const r = await bannerSizes(server, c);
  assert.equal(r.status, 404, r.text);
  assert.ok(Array.isArray(r.json?.errors), r.text);
  if (oldUrl) {
    assert.equal((await fetchMedia(oldUrl)).status, 404, oldUrl);
    for (const name of Object.keys(BANNER_SIZES)) assert.equal((await fetchMedia(`${oldUrl}/${name}`)).status, 404, `${oldUrl}/${name}`);
  }
}

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => stopServer(server));

describe('update_profile_banner: transports, sizes and removal', () => {
  let source: Buffer;
  before(async () => {
    source = await halvesPng(1000, 500, RED, BLUE);
  });

  test('no banner yet: users/profile_banner → 404 and no profile_banner_url', async () => {
    const c = await server.account('nobanner');
    await assertNoBanner(server, c);
  });

  test('twitter-api-v2 updateAccountProfileBanner (multipart, no filename): every variant at its exact size, PNG, no metadata', async () => {
    const c = await server.account('apiv2');
    const v1 = twitterApiV2(server, c);
    await v1.updateAccountProfileBanner(fixture('exif-orientation-6.jpg'));
    const { bannerUrl, files } = await checkBanner(server, c);
    // The rotated source is red on top, blue below; a 3:1 centre crop straddles both.
    assertColour(await pixel(files['1500x500']!, 750, 20), RED, 'top of the rotated banner');
    assertColour(await pixel(files['1500x500']!, 750, 480), BLUE, 'bottom of the rotated banner');
    // twitter-api-v2's own reader agrees.
    const sizes = await v1.userProfileBannerSizes({ user_id: c.userId });
    assert.equal(sizes.sizes.web_retina.w, 1040);
    // The bare URL the user object carries serves the 1500x500 variant.
    const bare = await fetchMedia(bannerUrl);
    assert.equal(bare.status, 200);
    assert.equal(bare.headers.get('content-type'), 'image/png');
    assert.deepEqual(bare.bytes, files['1500x500']);
    // verify_credentials carries it too.
    const me = await signedFetch(server.url, c, 'GET', '/1.1/account/verify_credentials.json');
    assert.equal(me.json.profile_banner_url, bannerUrl);
  });

  test('twit shape: base64 in the query string, empty JSON-typed body → 201 with an empty body and Content-Length: 0', async () => {
    const c = await server.account('twit');
    const r = await signedFetch(server.url, c, 'POST', PATH, { query: { banner: source.toString('base64') }, contentType: 'application/json', body: '' });
    assertEmpty201(r);
    const { files } = await checkBanner(server, c);
    // 2:1 source, cover-cropped to 3:1: left red, right blue.
    assertColour(await pixel(files['1500x500']!, 100, 250), RED, 'left');
    assertColour(await pixel(files['1500x500']!, 1400, 250), BLUE, 'right');
  });

  test('twit shape with a large banner: about 4.6 MB of image as base64 in the request line → 201', async () => {
    const c = await server.account('twitbig');
    const big = await noisyPng(4.2 * 1024 * 1024);
    assert.ok(big.length > 4.2 * 1024 * 1024 && big.length < 5 * 1024 * 1024, `${big.length} bytes`);
    const r = await signedFetch(server.url, c, 'POST', PATH, { query: { banner: big.toString('base64') }, contentType: 'application/json', body: '' });
    assertEmpty201(r);
    await checkBanner(server, c);
  });

  test('twitter-lite: base64 urlencoded; it resolves on the empty 201 (only _headers)', async () => {
    const c = await server.account('lite');
    const res: any = await twitterLite(server, c).post('account/update_profile_banner', { banner: source.toString('base64') });
    assert.deepEqual(Object.keys(res), ['_headers']);
    assert.equal(res._headers.get('content-length'), '0');
    await checkBanner(server, c);
    // The signed urlencoded form through oauth-1.0a answers the same empty 201.
    assertEmpty201(await signedFetch(server.url, c, 'POST', PATH, { form: { banner: fixture('progressive.jpg').toString('base64') } }));
  });

  test('multipart: file part with filename and no type (tweepy), base64 text part, the path without .json', async () => {
    const c = await server.account('parts');
    assertEmpty201(await postMultipart(server, c, PATH, [{ name: 'banner', value: source, filename: 'banner.png' }]));
    const first = (await showUser(server, c)).profile_banner_url;
    assertEmpty201(await postMultipart(server, c, '/1.1/account/update_profile_banner', [{ name: 'banner', value: fixture('grayscale.jpg').toString('base64') }]));
    const { bannerUrl } = await checkBanner(server, c);
    assert.notEqual(bannerUrl, first);
    // The replaced banner's variants are deleted.
    for (const name of Object.keys(BANNER_SIZES)) assert.equal((await fetchMedia(`${first}/${name}`)).status, 404, name);
    const keys = await blobKeys(server, `profile_banners/${c.userId}/`);
    assert.equal(keys.length, 10, keys.join('\n'));
  });

  test('users/profile_banner for another user by user_id and by screen_name', async () => {
    const owner = await server.account('owner');
    const viewer = await server.account('viewer');
    assertEmpty201(await postMultipart(server, owner, PATH, [{ name: 'banner', value: source, filename: 'b.png', contentType: 'image/png' }]));
    const byId = await bannerSizes(server, viewer, { user_id: owner.userId });
    const byName = await bannerSizes(server, viewer, { screen_name: 'owner' });
    assert.equal(byId.status, 200, byId.text);
    assert.deepEqual(byName.json, byId.json);
    assert.ok(byId.json.sizes.mobile.url.includes(`/profile_banners/${owner.userId}/`));
    assert.equal((await bannerSizes(server, viewer)).status, 404, "the viewer's own banner");
  });

  test('remove_profile_banner → 200, empty body, Content-Length: 0; then 404, no profile_banner_url, old URLs 404', async () => {
    const c = await server.account('remover');
    assertEmpty201(await postMultipart(server, c, PATH, [{ name: 'banner', value: source, filename: 'b.png', contentType: 'image/png' }]));
    const { bannerUrl } = await checkBanner(server, c);
    const r = await signedFetch(server.url, c, 'POST', '/1.1/account/remove_profile_banner.json');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, '');
    assert.equal(r.headers.get('content-length'), '0');
    await assertNoBanner(server, c, bannerUrl);
    assert.deepEqual(await blobKeys(server, `profile_banners/${c.userId}/`), []);
    // Removing again is fine, through twitter-lite (which needs Content-Length: 0 to resolve).
    const again: any = await twitterLite(server, c).post('account/remove_profile_banner', {});
    assert.deepEqual(Object.keys(again), ['_headers']);
    // twitter-api-v2 too, and without .json.
    await twitterApiV2(server, c).removeAccountProfileBanner();
    assert.equal((await signedFetch(server.url, c, 'POST', '/1.1/account/remove_profile_banner')).status, 200);
    await assertNoBanner(server, c);
  });
});

describe('update_profile_banner: crop region', () => {
  let c: Credentials;
  let source: Buffer;
  before(async () => {
    c = await server.account('cropper');
    // 1000×500: red left half, blue right half.
    source = await halvesPng(1000, 500, RED, BLUE);
  });

  test('the crop region is honoured: the right half only gives an all-blue banner, the left half all red', async () => {
    await twitterApiV2(server, c).updateAccountProfileBanner(source, { width: 450, height: 150, offset_left: 550, offset_top: 100 });
    const blue = await checkBanner(server, c);
    for (const [name, [w, h]] of Object.entries(BANNER_SIZES)) {
      for (const [x, y] of [[1, 1], [w - 2, h - 2], [Math.floor(w / 2), Math.floor(h / 2)]] as const) {
        assertColour(await pixel(blue.files[name]!, x, y), BLUE, `${name} (${x}, ${y})`);
      }
    }
    // In the query string this time (tweepy puts width/height/offsets there).
    const r = await postMultipart(server, c, PATH, [{ name: 'banner', value: source, filename: 'b.png' }], { width: '300', height: '100', offset_left: '0', offset_top: '400' });
    assertEmpty201(r);
    const red = await checkBanner(server, c);
    assertColour(await pixel(red.files['1500x500']!, 1, 1), RED, 'left crop, top left');
    assertColour(await pixel(red.files['1500x500']!, 1498, 498), RED, 'left crop, bottom right');
  });

  test('a crop region in twitter-lite base64 form: exact region size kept in proportion', async () => {
    // A 600×200 region straddling the middle: its left half red, its right half blue.
    const res: any = await twitterLite(server, c).post('account/update_profile_banner', {
      banner: source.toString('base64'),
      width: '600',
      height: '200',
      offset_left: '200',
      offset_top: '150',
    });
    assert.deepEqual(Object.keys(res), ['_headers']);
    const { files } = await checkBanner(server, c);
    assertColour(await pixel(files['1500x500']!, 700, 250), RED, 'just left of the middle');
    assertColour(await pixel(files['1500x500']!, 800, 250), BLUE, 'just right of the middle');
  });

  test('some but not all of width, height, offset_left, offset_top → 400; nothing changes', async () => {
    const before = await showUser(server, c);
    const keys = await blobKeys(server);
    const all = { width: '100', height: '50', offset_left: '0', offset_top: '0' };
    const names = Object.keys(all) as Array<keyof typeof all>;
    for (let mask = 1; mask < 15; mask++) {
      const query: Record<string, string> = {};
      names.forEach((n, i) => {
        if (mask & (1 << i)) query[n] = all[n];
      });
      const r = await postMultipart(server, c, PATH, [{ name: 'banner', value: source, filename: 'b.png' }], query);
      assert.equal(r.status, 400, `${JSON.stringify(query)}: ${r.text}`);
      assert.ok(Array.isArray(r.json?.errors), r.text);
      for (const n of names) {
        if (!(n in query)) assert.ok(r.json.errors[0].message.includes(n), `${r.json.errors[0].message} does not name the missing ${n}`);
      }
    }
    assert.deepEqual(await showUser(server, c), before);
    assert.deepEqual(await blobKeys(server), keys);
  });

  test('a crop region outside the image or not whole pixels → 400; nothing changes', async () => {
    const before = await showUser(server, c);
    const keys = await blobKeys(server);
    const bad: Array<Record<string, string>> = [
      { width: '600', height: '100', offset_left: '500', offset_top: '0' },
      { width: '100', height: '501', offset_left: '0', offset_top: '0' },
      { width: '0', height: '100', offset_left: '0', offset_top: '0' },
      { width: '-5', height: '100', offset_left: '0', offset_top: '0' },
      { width: '10.5', height: '100', offset_left: '0', offset_top: '0' },
      { width: 'wide', height: '100', offset_left: '0', offset_top: '0' },
    ];
    for (const form of bad) {
      const r = await signedFetch(server.url, c, 'POST', PATH, { form: { banner: source.toString('base64'), ...form } });
      assertTwitterError(r, 400, 474);
    }
    assert.deepEqual(await showUser(server, c), before);
    assert.deepEqual(await blobKeys(server), keys);
  });
});

describe('update_profile_banner: refusals', () => {
  let c: Credentials;
  let before0: any;
  let keys: string[];
  before(async () => {
    c = await server.account('refused');
    assertEmpty201(await postMultipart(server, c, PATH, [{ name: 'banner', value: fixture('small.png'), filename: 'b.png' }]));
    before0 = await showUser(server, c);
    keys = await blobKeys(server);
  });

  async function assertUnchanged(label: string): Promise<void> {
    assert.deepEqual(await showUser(server, c), before0, label);
    assert.deepEqual(await blobKeys(server), keys, `${label}: the store changed`);
    assert.equal((await fetchMedia(before0.profile_banner_url)).status, 200, label);
  }

  test('no banner → 400 / 38 naming banner (an image under another name does not count)', async () => {
    assertTwitterError(await signedFetch(server.url, c, 'POST', PATH), 400, 38, /\bbanner\b/);
    assertTwitterError(await signedFetch(server.url, c, 'POST', PATH, { form: { width: '1', height: '1', offset_left: '0', offset_top: '0' } }), 400, 38, /\bbanner\b/);
    assertTwitterError(await postMultipart(server, c, PATH, [{ name: 'image', value: fixture('small.png'), filename: 'a.png', contentType: 'image/png' }]), 400, 38, /\bbanner\b/);
    assertTwitterError(await signedFetch(server.url, c, 'POST', PATH, { form: { banner: '' } }), 400, 38);
    assertTwitterError(await postMultipart(server, c, PATH, [{ name: 'banner', value: Buffer.alloc(0), filename: 'empty.png' }]), 400, 38);
    await assertUnchanged('missing banner');
  });

  test('undecodable or unsupported → 400 (470 / 471), bad base64 → 400 / 470', async () => {
    for (const [name, code] of [['truncated.png', 470], ['truncated.jpg', 470], ['corrupt-header.png', 470], ['image.svg', 471], ['html.png', 471]] as const) {
      assertTwitterError(await postMultipart(server, c, PATH, [{ name: 'banner', value: fixture(name), filename: name }]), 400, code);
      assertTwitterError(await signedFetch(server.url, c, 'POST', PATH, { form: { banner: fixture(name).toString('base64') } }), 400, code);
    }
    assertTwitterError(await signedFetch(server.url, c, 'POST', PATH, { query: { banner: '!!not base64!!' } }), 400, 470);
    await assertUnchanged('undecodable');
  });

  test('too many pixels (20000×20000 bomb) → 422', async () => {
    const r = await postMultipart(server, c, PATH, [{ name: 'banner', value: fixture('bomb.png'), filename: 'bomb.png' }]);
    assertTwitterError(r, 422, 472);
    assertTwitterError(await signedFetch(server.url, c, 'POST', PATH, { query: { banner: fixture('bomb.png').toString('base64') } }), 422, 472);
    await assertUnchanged('bomb');
  });

  test('more than 5 MB → 413 / 193 (a real, decodable noise PNG), by multipart and by base64', async () => {
    const big = await noisyPng(5 * 1024 * 1024 + 64 * 1024);
    const r = await postMultipart(server, c, PATH, [{ name: 'banner', value: big, filename: 'big.png', contentType: 'image/png' }]);
    assertTwitterError(r, 413, 193);
    assertTwitterError(await signedFetch(server.url, c, 'POST', PATH, { form: { banner: big.toString('base64') } }), 413, 193);
    await assertUnchanged('5 MB');
  });
});
