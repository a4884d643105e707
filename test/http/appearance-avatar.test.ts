// POST account/update_profile_image through HTTP (issue #3 item 2): every transport real clients
// use, the synchronous user object, and the served variants decoded with sharp — exact sizes,
// orientation applied, first frame only, 8-bit sRGB, no metadata — plus every refusal, each of
// which must leave the profile and the store as they were.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp, { type Metadata } from 'sharp';
import { ApiResponseError } from 'twitter-api-v2';
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
  avatarUrls,
  base64Lines,
  blobKeys,
  extensionOf,
  fetchMedia,
  pixel,
  postMultipart,
  showUser,
  twitterLite,
  type ApiResult,
  stopServer,
} from '../helpers/images.ts';

const PATH = '/1.1/account/update_profile_image.json';
const SQUARES = { mini: 24, normal: 48, bigger: 73, '400x400': 400 } as const;

interface ServedAvatar {
  ext: string;
  original: { bytes: Buffer; meta: Metadata };
  squares: Record<keyof typeof SQUARES, { bytes: Buffer; meta: Metadata }>;
}

/**
 * Checks a user object that just got a new avatar, then fetches and decodes every variant:
 * exact square sizes, the original at most 400 wide, the URL extension equal to the served
 * type, no metadata in any file.
 */
async function checkAvatar(server: TestServer, c: Credentials, u: any, expect: { ext: string; width: number; height: number }): Promise<ServedAvatar> {
  assert.equal(u.id_str, c.userId);
  assert.equal(u.default_profile_image, false);
  const base = `${server.url}/profile_images/`;
  assert.ok(u.profile_image_url.startsWith(base), u.profile_image_url);
  assert.match(u.profile_image_url, new RegExp(`^${server.url}/profile_images/[1-9][0-9]*/[A-Za-z0-9_-]+_normal\\.${expect.ext}$`));
  assert.equal(new URL(u.profile_image_url_https).pathname, new URL(u.profile_image_url).pathname);
  const urls = avatarUrls(u.profile_image_url);
  const squares = {} as ServedAvatar['squares'];
  for (const [name, size] of Object.entries(SQUARES) as Array<[keyof typeof SQUARES, number]>) {
    const s = await fetchMedia(urls[name]);
    assert.equal(s.status, 200, `${name}: ${urls[name]}`);
    assert.equal(s.headers.get('content-type'), CONTENT_TYPE_OF_EXT[expect.ext], `${name} content-type`);
    const meta = await assertNoMetadata(s.bytes, `${name} of ${expect.ext}`);
    assert.equal(meta.format, SHARP_FORMAT_OF_EXT[expect.ext], `${name} format`);
    assert.equal(meta.width, size, `${name} width`);
    assert.equal(meta.height, size, `${name} height`);
    assert.ok((meta.pages ?? 1) === 1, `${name} has ${meta.pages} frames`);
    assert.equal(meta.depth, 'uchar', `${name} depth`);
    squares[name] = { bytes: s.bytes, meta };
  }
  const o = await fetchMedia(urls.original);
  assert.equal(o.status, 200, urls.original);
  assert.equal(o.headers.get('content-type'), CONTENT_TYPE_OF_EXT[expect.ext]);
  const meta = await assertNoMetadata(o.bytes, `original of ${expect.ext}`);
  assert.equal(meta.format, SHARP_FORMAT_OF_EXT[expect.ext]);
  assert.ok(meta.width <= 400, `original is ${meta.width} wide`);
  assert.equal(meta.width, expect.width, 'original width');
  assert.equal(meta.height, expect.height, 'original height');
  assert.ok((meta.pages ?? 1) === 1, `original has ${meta.pages} frames`);
  assert.equal(meta.depth, 'uchar', 'original depth');
  return { ext: expect.ext, original: { bytes: o.bytes, meta }, squares };
}

/** Every served URL of an avatar answers 404. */
async function assertAvatarGone(profileImageUrl: string): Promise<void> {
  for (const [name, url] of Object.entries(avatarUrls(profileImageUrl))) {
    const s = await fetchMedia(url);
    assert.equal(s.status, 404, `${name} of the replaced avatar still served: ${url}`);
  }
}

async function upload(server: TestServer, c: Credentials, bytes: Buffer): Promise<any> {
  const r = await postMultipart(server, c, PATH, [{ name: 'image', value: bytes, filename: 'upload.bin', contentType: 'application/octet-stream' }]);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => stopServer(server));

describe('update_profile_image: transports', () => {
  test('twitter-api-v2 updateAccountProfileImage (multipart part without filename, octet-stream); the response already has the new avatar', async () => {
    const c = await server.account('apiv2');
    const before = await showUser(server, c);
    assert.equal(before.default_profile_image, true);
    const u: any = await twitterApiV2(server, c).updateAccountProfileImage(fixture('alpha.png'));
    assert.notEqual(u.profile_image_url, before.profile_image_url);
    const served = await checkAvatar(server, c, u, { ext: 'png', width: 240, height: 160 });
    // The PNG keeps its alpha: left half opaque green.
    assertColour(await pixel(served.original.bytes, 30, 80), GREEN, 'alpha.png original left');
    const back = await showUser(server, c);
    assert.equal(back.profile_image_url, u.profile_image_url);
    assert.equal(back.profile_image_url_https, u.profile_image_url_https);
    assert.equal(back.default_profile_image, false);
  });

  test('twitter-lite: base64 in the urlencoded body (signed)', async () => {
    const c = await server.account('lite');
    const u: any = await twitterLite(server, c).post('account/update_profile_image', { image: fixture('progressive.jpg').toString('base64'), skip_status: 'true' });
    await checkAvatar(server, c, u, { ext: 'jpg', width: 320, height: 240 });
    assert.equal((await showUser(server, c)).profile_image_url, u.profile_image_url);
  });

  test('base64 in the query string of a POST with an empty body', async () => {
    const c = await server.account('query');
    const r = await signedFetch(server.url, c, 'POST', PATH, { query: { image: fixture('small.png').toString('base64') } });
    assert.equal(r.status, 200, r.text);
    // Smaller than every square: the original keeps its size, the squares are enlarged to exact size.
    const served = await checkAvatar(server, c, r.json, { ext: 'png', width: 10, height: 10 });
    assertColour(await pixel(served.squares['400x400'].bytes, 50, 200), RED, 'small.png 400x400 left');
    assertColour(await pixel(served.squares['400x400'].bytes, 350, 200), BLUE, 'small.png 400x400 right');
  });

  test('base64 in a multipart text part, with a data: URI prefix, and with Ruby line breaks', async () => {
    const c = await server.account('b64parts');
    const text = await postMultipart(server, c, PATH, [
      { name: 'image', value: fixture('grayscale.png').toString('base64') },
      { name: 'skip_status', value: 'true' },
    ]);
    assert.equal(text.status, 200, text.text);
    const g = await checkAvatar(server, c, text.json, { ext: 'png', width: 200, height: 150 });
    assert.ok([1, 2, 3].includes(g.original.meta.channels ?? 0));

    const dataUri = await signedFetch(server.url, c, 'POST', PATH, { form: { image: `data:image/jpeg;base64,${fixture('grayscale.jpg').toString('base64')}` } });
    assert.equal(dataUri.status, 200, dataUri.text);
    await checkAvatar(server, c, dataUri.json, { ext: 'jpg', width: 200, height: 150 });
    await assertAvatarGone(text.json.profile_image_url);

    const lines = base64Lines(fixture('interlaced.png'));
    assert.ok(lines.split('\n').length > 10);
    const ruby = await signedFetch(server.url, c, 'POST', PATH, { form: { image: lines } });
    assert.equal(ruby.status, 200, ruby.text);
    await checkAvatar(server, c, ruby.json, { ext: 'png', width: 200, height: 150 });
    // Line breaks in a multipart text part too.
    const rubyPart = await postMultipart(server, c, PATH, [{ name: 'image', value: base64Lines(fixture('small.png')) }]);
    assert.equal(rubyPart.status, 200, rubyPart.text);
    await checkAvatar(server, c, rubyPart.json, { ext: 'png', width: 10, height: 10 });
  });

  test('multipart file with filename and image/png (Net::Twitter, Ruby); with filename and no part type plus query parameters (tweepy)', async () => {
    const c = await server.account('files');
    const typed = await postMultipart(server, c, PATH, [
      { name: 'image', value: fixture('image.webp'), filename: 'me.png', contentType: 'image/png' },
      { name: 'skip_status', value: 'true' },
    ]);
    assert.equal(typed.status, 200, typed.text);
    // The type comes from the bytes, not from the name or the part type.
    await checkAvatar(server, c, typed.json, { ext: 'webp', width: 200, height: 150 });

    const tweepy = await postMultipart(server, c, PATH, [{ name: 'image', value: fixture('interlaced.png'), filename: 'avatar.jpg' }], {
      skip_status: 'True',
      include_entities: 'False',
    });
    assert.equal(tweepy.status, 200, tweepy.text);
    assert.equal(tweepy.json.entities, undefined, 'include_entities=False in the query is honoured');
    await checkAvatar(server, c, tweepy.json, { ext: 'png', width: 200, height: 150 });
    await assertAvatarGone(typed.json.profile_image_url);
  });

  test('the path without .json', async () => {
    const c = await server.account('nojson');
    const r = await postMultipart(server, c, '/1.1/account/update_profile_image', [{ name: 'image', value: fixture('small.png'), filename: 'a.png', contentType: 'image/png' }]);
    assert.equal(r.status, 200, r.text);
    await checkAvatar(server, c, r.json, { ext: 'png', width: 10, height: 10 });
  });
});

describe('update_profile_image: processing', () => {
  let c: Credentials;
  before(async () => {
    c = await server.account('pipeline');
  });

  test('EXIF orientation 6 is applied (300×200 stored → 200×300 served, red on top) and EXIF, GPS, XMP, IPTC and the comment are gone', async () => {
    const u = await upload(server, c, fixture('exif-orientation-6.jpg'));
    const served = await checkAvatar(server, c, u, { ext: 'jpg', width: 200, height: 300 });
    assertColour(await pixel(served.original.bytes, 100, 40), RED, 'top of the rotated original');
    assertColour(await pixel(served.original.bytes, 100, 260), BLUE, 'bottom of the rotated original');
    // The squares are centre crops of the rotated image: red above blue, never left/right.
    for (const [name, size] of Object.entries(SQUARES) as Array<[keyof typeof SQUARES, number]>) {
      const bytes = served.squares[name].bytes;
      assertColour(await pixel(bytes, Math.floor(size / 2), Math.floor(size / 6)), RED, `${name} top`);
      assertColour(await pixel(bytes, Math.floor(size / 2), Math.floor((size * 5) / 6)), BLUE, `${name} bottom`);
    }
  });

  test('an animated GIF becomes its first frame, in GIF, in every variant', async () => {
    const u = await upload(server, c, fixture('animated.gif'));
    const served = await checkAvatar(server, c, u, { ext: 'gif', width: 120, height: 80 });
    assertColour(await pixel(served.original.bytes, 60, 40), RED, 'first frame');
    for (const name of Object.keys(SQUARES) as Array<keyof typeof SQUARES>) {
      assertColour(await pixel(served.squares[name].bytes, 5, 5), RED, `${name} first frame`);
    }
  });

  test('an animated WebP becomes its first frame too', async () => {
    const u = await upload(server, c, fixture('animated.webp'));
    const served = await checkAvatar(server, c, u, { ext: 'webp', width: 120, height: 80 });
    assertColour(await pixel(served.original.bytes, 60, 40), RED, 'first frame');
  });

  test('CMYK JPEG comes out as 3-channel sRGB with its colours', async () => {
    const u = await upload(server, c, fixture('cmyk.jpg'));
    const served = await checkAvatar(server, c, u, { ext: 'jpg', width: 300, height: 200 });
    for (const file of [served.original, ...Object.values(served.squares)]) {
      assert.equal(file.meta.channels, 3);
      assert.equal(file.meta.space, 'srgb');
    }
    // Pure blue is outside the CMYK gamut; the served colours must match libvips' own CMYK → sRGB
    // conversion of the fixture (red stays red, blue comes back as a dark blue, not swapped or inverted).
    const cmyk = fixture('cmyk.jpg');
    for (const [x, y] of [[40, 100], [260, 100]] as const) {
      assertColour(await pixel(served.original.bytes, x, y), await pixel(cmyk, x, y), `cmyk (${x}, ${y})`, 24);
    }
    assertColour(await pixel(served.original.bytes, 40, 100), RED, 'cmyk left');
    const [r, g, b] = await pixel(served.original.bytes, 260, 100);
    assert.ok(b > 100 && b > r + 50 && b > g + 50, `cmyk right is not blue: rgb(${r},${g},${b})`);
  });

  test('a 16-bit PNG comes out 8-bit', async () => {
    const u = await upload(server, c, fixture('16bit.png'));
    const served = await checkAvatar(server, c, u, { ext: 'png', width: 200, height: 150 });
    assert.equal(served.original.meta.depth, 'uchar');
    assert.equal(served.original.meta.bitsPerSample, 8);
  });

  test('wider than 400 px: the original is scaled to 400 wide keeping its aspect; squares are centre crops', async () => {
    const u = await upload(server, c, fixture('wide.jpg'));
    const served = await checkAvatar(server, c, u, { ext: 'jpg', width: 400, height: 133 });
    assertColour(await pixel(served.original.bytes, 40, 66), RED, 'red left third');
    // The squares are the centre third (the gradient around mid-grey), not the red left third.
    for (const [name, size] of Object.entries(SQUARES) as Array<[keyof typeof SQUARES, number]>) {
      assertColour(await pixel(served.squares[name].bytes, Math.floor(size / 2), Math.floor(size / 2)), [128, 128, 128], `${name} centre`, 24);
    }
  });

  test('a photo just under 700 KB is accepted (the limit is on decoded bytes)', async () => {
    const bytes = fixture('photo-700k.jpg');
    assert.ok(bytes.length <= 700 * 1024 && bytes.length > 600 * 1024, `photo-700k.jpg is ${bytes.length} bytes`);
    const r = await signedFetch(server.url, c, 'POST', PATH, { form: { image: bytes.toString('base64') } });
    assert.equal(r.status, 200, r.text);
    await checkAvatar(server, c, r.json, { ext: 'jpg', width: 400, height: 300 });
  });

  test('a new upload replaces the old: every URL of the old avatar answers 404 and only the new blobs remain', async () => {
    const first = await upload(server, c, fixture('progressive.jpg'));
    for (const url of Object.values(avatarUrls(first.profile_image_url))) assert.equal((await fetchMedia(url)).status, 200);
    const keysOf = (u: any) => Object.values(avatarUrls(u.profile_image_url)).map((url) => new URL(url).pathname.slice(1)).sort();
    const before = await blobKeys(server);
    for (const k of keysOf(first)) assert.ok(before.includes(k), `${k} not in the store`);
    const second = await upload(server, c, fixture('alpha.png'));
    assert.notEqual(second.profile_image_url, first.profile_image_url);
    await assertAvatarGone(first.profile_image_url);
    await checkAvatar(server, c, second, { ext: 'png', width: 240, height: 160 });
    // Exactly: the first upload's five blobs gone, the second's five added, nothing else touched.
    const expected = [...before.filter((k) => !keysOf(first).includes(k)), ...keysOf(second)].sort();
    assert.deepEqual(await blobKeys(server), expected);
  });

  test('the same bytes uploaded twice get a fresh URL, and the new one is served', async () => {
    const a = await upload(server, c, fixture('small.png'));
    const b = await upload(server, c, fixture('small.png'));
    assert.notEqual(b.profile_image_url, a.profile_image_url);
    await checkAvatar(server, c, b, { ext: 'png', width: 10, height: 10 });
    await assertAvatarGone(a.profile_image_url);
  });
});

describe('update_profile_image: refusals change nothing', () => {
  let c: Credentials;
  let current: any;
  let keys: string[];
  before(async () => {
    c = await server.account('refused');
    current = await upload(server, c, fixture('progressive.jpg'));
    keys = await blobKeys(server);
  });

  /** The profile, its served avatar and the store are exactly as before the refused request. */
  async function assertUnchanged(label: string): Promise<void> {
    const u = await showUser(server, c);
    assert.equal(u.profile_image_url, current.profile_image_url, `${label}: profile_image_url changed`);
    assert.equal(u.default_profile_image, false, label);
    assert.deepEqual(await blobKeys(server), keys, `${label}: the store changed`);
    assert.equal((await fetchMedia(current.profile_image_url)).status, 200, `${label}: the current avatar is no longer served`);
  }

  function multipartFile(bytes: Buffer): Promise<ApiResult> {
    return postMultipart(server, c, PATH, [{ name: 'image', value: bytes, filename: 'x.png', contentType: 'image/png' }]);
  }

  const FIXTURE_CASES: Array<[FixtureName, number, number]> = [
    ['empty.png', 400, 38],
    ['truncated.jpg', 400, 470],
    ['truncated.png', 400, 470],
    ['corrupt-header.png', 400, 470],
    ['image.svg', 400, 471],
    ['html.png', 400, 471],
    ['image.bmp', 400, 471],
    ['image.tiff', 400, 471],
    ['image.avif', 400, 471],
    ['bomb.png', 422, 472],
  ];

  for (const [name, status, code] of FIXTURE_CASES) {
    test(`${name} → ${status} / ${code}, by multipart file and by base64`, async () => {
      assertTwitterError(await multipartFile(fixture(name)), status, code);
      await assertUnchanged(`${name} multipart`);
      assertTwitterError(await signedFetch(server.url, c, 'POST', PATH, { form: { image: fixture(name).toString('base64') } }), status, code);
      await assertUnchanged(`${name} base64`);
    });
  }

  test('more than 700 KB decoded → 413 / 193, by multipart, base64 body and base64 query', async () => {
    const photo = fixture('photo-700k.jpg');
    const over = Buffer.concat([photo, Buffer.alloc(700 * 1024 + 1 - photo.length)]);
    assert.equal(over.length, 700 * 1024 + 1);
    assertTwitterError(await multipartFile(over), 413, 193);
    await assertUnchanged('multipart 700 KB + 1');
    assertTwitterError(await signedFetch(server.url, c, 'POST', PATH, { form: { image: over.toString('base64') } }), 413, 193);
    await assertUnchanged('base64 700 KB + 1');
    const big = Buffer.concat([photo, Buffer.alloc(200 * 1024)]);
    assertTwitterError(await multipartFile(big), 413, 193);
    assertTwitterError(await signedFetch(server.url, c, 'POST', PATH, { query: { image: big.toString('base64') } }), 413, 193);
    await assertUnchanged('900 KB');
  });

  test('bad base64 → 400 / 470; empty base64 → 400 / 38', async () => {
    for (const image of ['not base64 at all!', '****', 'iVBORw0KGgo=extra', 'abcde']) {
      assertTwitterError(await signedFetch(server.url, c, 'POST', PATH, { form: { image } }), 400, 470);
      assertTwitterError(await postMultipart(server, c, PATH, [{ name: 'image', value: image }]), 400, 470);
    }
    assertTwitterError(await signedFetch(server.url, c, 'POST', PATH, { form: { image: '' } }), 400, 38);
    assertTwitterError(await signedFetch(server.url, c, 'POST', PATH, { query: { image: '  \n' } }), 400, 38);
    // Valid base64 of something that is not an image.
    assertTwitterError(await signedFetch(server.url, c, 'POST', PATH, { form: { image: Buffer.from('hello, world').toString('base64') } }), 400, 471);
    await assertUnchanged('bad base64');
  });

  test('no image parameter → 400 / 38 naming image; an image under another name does not count', async () => {
    const none = await signedFetch(server.url, c, 'POST', PATH, { form: { skip_status: 'true' } });
    assertTwitterError(none, 400, 38, /\bimage\b/);
    assertTwitterError(await signedFetch(server.url, c, 'POST', PATH), 400, 38, /\bimage\b/);
    assertTwitterError(await postMultipart(server, c, PATH, [{ name: 'media', value: fixture('small.png'), filename: 'a.png', contentType: 'image/png' }]), 400, 38, /\bimage\b/);
    assertTwitterError(await postMultipart(server, c, PATH, [{ name: 'banner', value: fixture('small.png').toString('base64') }]), 400, 38);
    await assertUnchanged('missing image');
  });

  test('twitter-api-v2 surfaces a refusal as ApiResponseError with the Twitter code', async () => {
    const err = await twitterApiV2(server, c).updateAccountProfileImage(fixture('image.svg')).then(
      () => assert.fail('accepted an SVG'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApiResponseError, String(err));
    assert.equal(err.code, 400);
    assert.equal(err.errors?.[0] && 'code' in err.errors[0] ? err.errors[0].code : undefined, 471);
    await assertUnchanged('twitter-api-v2 svg');
  });
});

describe('update_profile_image: served type matches the URL', () => {
  test('each accepted type keeps its own format and extension, and extension, Content-Type and bytes agree', async () => {
    const c = await server.account('types');
    const cases: Array<[FixtureName, string]> = [
      ['grayscale.jpg', 'jpg'],
      ['interlaced.png', 'png'],
      ['animated.gif', 'gif'],
      ['image.webp', 'webp'],
    ];
    for (const [name, ext] of cases) {
      const u = await upload(server, c, fixture(name));
      assert.equal(extensionOf(u.profile_image_url), ext, name);
      for (const url of Object.values(avatarUrls(u.profile_image_url))) {
        const s = await fetchMedia(url);
        assert.equal(s.status, 200, url);
        assert.equal(s.headers.get('content-type'), CONTENT_TYPE_OF_EXT[ext], url);
        assert.equal((await sharp(s.bytes).metadata()).format, SHARP_FORMAT_OF_EXT[ext], url);
      }
    }
  });
});
