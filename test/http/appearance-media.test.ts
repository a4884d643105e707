// Media serving through HTTP (issue #3 item 5): every URL the API hands out (avatar variants and
// original, background, banner variants and the bare banner URL, the default avatar) with its
// Content-Type, strong ETag, immutable caching, nosniff, HEAD and conditional GET; and every
// other path 404, including traversal attempts at files planted next to the store.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { startTestServer, type Credentials, type TestServer } from '../helpers/server.ts';
import { fixture } from '../fixtures/images.ts';
import {
  assertNoMetadata,
  avatarUrls,
  fetchMedia,
  postMultipart,
  rawGet,
  showUser,
  stopServer,
  type Served,
} from '../helpers/images.ts';
import { signedFetch } from '../helpers/signing.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';

let server: TestServer;
let alice: Credentials;
/** alice's user object after an avatar (PNG), a background (GIF) and a banner. */
let u: any;
/** Every media URL the API handed out, with the type it must be served as. */
let served: Array<{ label: string; url: string; type: string }>;

before(async () => {
  server = await startTestServer();
  alice = await server.account('alice');
  const image = await postMultipart(server, alice, '/1.1/account/update_profile_image.json', [{ name: 'image', value: fixture('alpha.png'), filename: 'a.png' }]);
  assert.equal(image.status, 200, image.text);
  const bg = await postMultipart(server, alice, '/1.1/account/update_profile_background_image.json', [{ name: 'image', value: fixture('animated.gif'), filename: 'b.gif' }]);
  assert.equal(bg.status, 200, bg.text);
  const banner = await postMultipart(server, alice, '/1.1/account/update_profile_banner.json', [{ name: 'banner', value: fixture('progressive.jpg'), filename: 'c.jpg' }]);
  assert.equal(banner.status, 201, banner.text);
  u = await showUser(server, alice);
  const sizes = await signedFetch(server.url, alice, 'GET', '/1.1/users/profile_banner.json');
  assert.equal(sizes.status, 200, sizes.text);
  served = [
    ...Object.entries(avatarUrls(u.profile_image_url)).map(([name, url]) => ({ label: `avatar ${name}`, url, type: 'image/png' })),
    { label: 'avatar https field', url: u.profile_image_url_https, type: 'image/png' },
    { label: 'background', url: u.profile_background_image_url, type: 'image/gif' },
    { label: 'background https field', url: u.profile_background_image_url_https, type: 'image/gif' },
    { label: 'banner (bare)', url: u.profile_banner_url, type: 'image/png' },
    ...Object.entries(sizes.json.sizes as Record<string, { url: string }>).map(([name, s]) => ({ label: `banner ${name}`, url: s.url, type: 'image/png' })),
  ];
});
after(() => stopServer(server));

function assertCacheHeaders(s: Pick<Served, 'headers'>, type: string, label: string): string {
  assert.equal(s.headers.get('content-type'), type, `${label} content-type`);
  const etag = s.headers.get('etag');
  assert.ok(etag, `${label}: no ETag`);
  assert.match(etag, /^"[\x21\x23-\x7e]+"$/, `${label}: ETag ${etag} is not a strong entity tag`);
  assert.equal(s.headers.get('cache-control'), IMMUTABLE, `${label} cache-control`);
  assert.equal(s.headers.get('x-content-type-options'), 'nosniff', `${label} nosniff`);
  return etag;
}

describe('serving every URL the API hands out', () => {
  test('GET: 200, Content-Type, strong ETag, immutable caching, nosniff, exact Content-Length; the bytes decode as that type', async () => {
    assert.ok(served.length >= 18, `${served.length} URLs`);
    const etags = new Set<string>();
    for (const { label, url, type } of served) {
      assert.ok(url.startsWith(`${server.url}/`), `${label}: ${url} is not under the server's URL`);
      const s = await fetchMedia(url);
      assert.equal(s.status, 200, `${label}: ${url}`);
      const etag = assertCacheHeaders(s, type, label);
      assert.equal(s.headers.get('content-length'), String(s.bytes.length), `${label} content-length`);
      const meta = await assertNoMetadata(s.bytes, label);
      assert.equal(`image/${meta.format === 'jpeg' ? 'jpeg' : meta.format}`, type, `${label}: bytes are ${meta.format}`);
      if (!label.includes('https field') && label !== 'banner (bare)') etags.add(etag);
    }
    // Different files have different ETags.
    assert.equal(etags.size, served.filter((s) => !s.label.includes('https field') && s.label !== 'banner (bare)').length);
  });

  test('HEAD: the same status and headers as GET, the right Content-Length, and no body', async () => {
    for (const { label, url, type } of served) {
      const get = await fetchMedia(url);
      const head = await fetchMedia(url, { method: 'HEAD' });
      assert.equal(head.status, 200, `${label} HEAD`);
      assert.equal(head.bytes.length, 0, `${label}: HEAD has a body`);
      assert.equal(assertCacheHeaders(head, type, `${label} HEAD`), get.headers.get('etag'));
      assert.equal(head.headers.get('content-length'), String(get.bytes.length), `${label} HEAD content-length`);
    }
  });

  test('conditional GET: If-None-Match with the ETag (also weak-prefixed or in a list, or *) → 304 without a body; another tag → 200', async () => {
    for (const { label, url, type } of served) {
      const first = await fetchMedia(url);
      const etag = first.headers.get('etag')!;
      for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
        const again = await fetchMedia(url, { headers: { 'if-none-match': inm } });
        assert.equal(again.status, 304, `${label} If-None-Match: ${inm}`);
        assert.equal(again.bytes.length, 0, `${label}: 304 has a body`);
        assert.equal(again.headers.get('etag'), etag, `${label}: 304 ETag`);
        assert.equal(again.headers.get('cache-control'), IMMUTABLE);
      }
      const other = await fetchMedia(url, { headers: { 'if-none-match': '"something-else"' } });
      assert.equal(other.status, 200, `${label} with another tag`);
      assert.deepEqual(other.bytes, first.bytes);
      assertCacheHeaders(other, type, label);
    }
  });

  test('a replaced avatar: its URLs 404 even with If-None-Match carrying their old ETag', async () => {
    const bob = await server.account('bob');
    const one = await postMultipart(server, bob, '/1.1/account/update_profile_image.json', [{ name: 'image', value: fixture('small.png'), filename: 'a.png' }]);
    assert.equal(one.status, 200, one.text);
    const old = avatarUrls(one.json.profile_image_url);
    const etags = new Map<string, string>();
    for (const url of Object.values(old)) etags.set(url, (await fetchMedia(url)).headers.get('etag')!);
    const two = await postMultipart(server, bob, '/1.1/account/update_profile_image.json', [{ name: 'image', value: fixture('grayscale.png'), filename: 'b.png' }]);
    assert.equal(two.status, 200, two.text);
    for (const url of Object.values(old)) {
      assert.equal((await fetchMedia(url)).status, 404, url);
      assert.equal((await fetchMedia(url, { method: 'HEAD' })).status, 404, `HEAD ${url}`);
      const cond = await fetchMedia(url, { headers: { 'if-none-match': etags.get(url)! } });
      assert.equal(cond.status, 404, `conditional ${url}`);
    }
  });
});

describe('the default avatar', () => {
  test('a fresh user object points at the default avatar, served at 48, 73, 24 and 400 px squares and a 400 px original', async () => {
    const carol = await server.account('carol');
    const fresh = await showUser(server, carol);
    assert.equal(fresh.default_profile_image, true);
    assert.equal(fresh.profile_image_url, `${server.url}/sticky/default_profile_images/default_profile_normal.png`);
    const sizes: Record<string, number> = { normal: 48, bigger: 73, mini: 24, '400x400': 400 };
    const urls = avatarUrls(fresh.profile_image_url);
    for (const [name, size] of Object.entries(sizes)) {
      const url = urls[name as keyof typeof urls];
      const s = await fetchMedia(url);
      assert.equal(s.status, 200, url);
      assertCacheHeaders(s, 'image/png', `default ${name}`);
      const meta = await sharp(s.bytes).metadata();
      assert.equal(meta.format, 'png');
      assert.equal(meta.width, size, `default ${name} width`);
      assert.equal(meta.height, size, `default ${name} height`);
      const head = await fetchMedia(url, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.bytes.length, 0);
      assert.equal(head.headers.get('etag'), s.headers.get('etag'));
      assert.equal(head.headers.get('content-length'), String(s.bytes.length), `default ${name} HEAD content-length`);
      assert.equal(s.headers.get('content-length'), String(s.bytes.length), `default ${name} GET content-length`);
      const cond = await fetchMedia(url, { headers: { 'if-none-match': s.headers.get('etag')! } });
      assert.equal(cond.status, 304, `default ${name} conditional`);
      assert.equal(cond.bytes.length, 0);
    }
    const original = await fetchMedia(urls.original);
    assert.equal(original.status, 200, urls.original);
    const meta = await sharp(original.bytes).metadata();
    assert.ok(meta.width <= 400 && meta.width === meta.height, `default original ${meta.width}x${meta.height}`);
    // The https field points at the same path.
    assert.equal(new URL(fresh.profile_image_url_https).pathname, new URL(fresh.profile_image_url).pathname);
  });
});

describe('anything else → 404', () => {
  /** A 404 with Twitter's JSON error body and none of the bytes of a real image. */
  function assertNotFound(r: { status: number; headers: Record<string, unknown> | Headers; body: Buffer }, what: string): void {
    assert.equal(r.status, 404, `${what} → ${r.status}`);
    const png = r.body.includes(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    assert.ok(!png, `${what}: the 404 carries PNG bytes`);
    assert.ok(!r.body.toString('latin1').includes('plumage-planted-secret'), `${what}: planted file leaked`);
    if (r.body.length > 0) {
      const json = JSON.parse(r.body.toString('utf8'));
      assert.equal(json.errors?.[0]?.code, 34, `${what}: ${r.body.toString('utf8')}`);
    }
  }

  test('wrong suffixes, unknown variants, bad ids, other extensions and case, on every kind of media path', async () => {
    const avatarPath = new URL(u.profile_image_url).pathname; // /profile_images/<id>/<name>_normal.png
    const [, , imageId, file] = avatarPath.split('/');
    const name = file!.replace(/_normal\.png$/, '');
    const bgPath = new URL(u.profile_background_image_url).pathname; // /profile_background_images/<id>/<name>.gif
    const [, , bgId, bgFile] = bgPath.split('/');
    const bannerPath = new URL(u.profile_banner_url).pathname; // /profile_banners/<uid>/<ts>
    const paths = [
      `/profile_images/${imageId}/${name}_huge.png`,
      `/profile_images/${imageId}/${name}_normal.jpg`,
      `/profile_images/${imageId}/${name}_normal.PNG`,
      `/profile_images/${imageId}/${name}_normal.exe`,
      `/profile_images/${imageId}/${name}_normal`,
      `/profile_images/${imageId}/${name}_normal.png.tmp`,
      `/profile_images/${imageId}/${name}_400x401.png`,
      `/profile_images/${imageId}/${name}__normal.png`,
      `/profile_images/${imageId}/other_normal.png`,
      `/profile_images/abc/${name}_normal.png`,
      `/profile_images/0${imageId}/${name}_normal.png`,
      `/profile_images/-${imageId}/${name}_normal.png`,
      `/profile_images/${imageId}1/${name}_normal.png`,
      `/profile_images/${imageId}`,
      `/profile_images/${imageId}/`,
      `/profile_images/`,
      `/profile_images/${imageId}/${name}_normal.png/extra`,
      `/profile_background_images/${bgId}/${bgFile!.replace('.gif', '_normal.gif')}`,
      `/profile_background_images/${bgId}/${bgFile!.replace('.gif', '.png')}`,
      `/profile_background_images/x${bgId}/${bgFile}`,
      `${bannerPath}/huge`,
      `${bannerPath}/web.png`,
      `${bannerPath}/WEB`,
      `${bannerPath}/web/extra`,
      `${bannerPath}1/web`,
      `${bannerPath.replace(/\/\d+$/, '/notatime')}/web`,
      `/profile_banners/${alice.userId}x/1/web`,
      `/profile_banners/999999999999/1/web`,
      `/sticky/default_profile_images/default_profile_huge.png`,
      `/sticky/default_profile_images/default_profile_normal.jpg`,
      `/sticky/default_profile_images/other_normal.png`,
      `/sticky/default_profile_images/default_profile_0_normal.png`,
      `/sticky/default_profile_images/`,
      `/media/profile_images/${imageId}/${name}_normal.png`,
    ];
    for (const p of paths) {
      assertNotFound(await rawGet(server.url, p), p);
      assertNotFound(await rawGet(server.url, p, 'HEAD'), `HEAD ${p}`);
    }
  });

  test('traversal: .., encoded slashes and dots, backslashes, NUL — nothing outside the store is ever served', async () => {
    // Plant files where a traversal would land: next to the store, in the data folder, and a
    // stray temporary file inside the store.
    const planted = Buffer.concat([fixture('small.png'), Buffer.from('plumage-planted-secret')]);
    fs.writeFileSync(path.join(server.dataDir, 'secret_normal.png'), planted);
    fs.writeFileSync(path.join(server.dataDir, 'secret.png'), planted);
    fs.mkdirSync(path.join(server.dataDir, 'media'), { recursive: true });
    fs.writeFileSync(path.join(server.dataDir, 'media', 'secret_normal.png'), planted);
    const avatarPath = new URL(u.profile_image_url).pathname;
    const [, , imageId, file] = avatarPath.split('/');
    // Stray objects inside the store (whatever it is) under keys no media URL names.
    await server.deps.blobs.put(`profile_images/${imageId}/${file}.abc123.tmp`, planted, 'image/png');
    await server.deps.blobs.put(`profile_images/${imageId}/planted_normal.png.tmp`, planted, 'image/png');
    await server.deps.blobs.put('planted/secret_normal.png', planted, 'image/png');
    const bannerPath = new URL(u.profile_banner_url).pathname;
    const paths = [
      `/profile_images/${imageId}/../../secret_normal.png`,
      `/profile_images/../secret_normal.png`,
      `/profile_images/${imageId}/..%2F..%2Fsecret_normal.png`,
      `/profile_images/${imageId}/..%2f..%2f..%2fsecret_normal.png`,
      `/profile_images/%2e%2e/secret_normal.png`,
      `/profile_images/${imageId}/%2e%2e%2f%2e%2e%2fsecret_normal.png`,
      `/profile_images/..%2F..%2F/secret_normal.png`,
      `/profile_images/${imageId}%2F..%2F..%2F/secret_normal.png`,
      `/profile_images/${imageId}/..%5C..%5Csecret_normal.png`,
      `/profile_images/${imageId}/..\\..\\secret_normal.png`,
      `/profile_images/${imageId}/secret_normal.png%00.png`,
      `/profile_images/${imageId}/${file}%00`,
      `/profile_images/${imageId}/${file}.abc123.tmp`,
      `/profile_images/${imageId}/planted_normal.png.tmp`,
      `/profile_images/${imageId}/planted_normal.png`,
      `/profile_images/${imageId}/%252e%252e%252fsecret_normal.png`,
      `/profile_background_images/..%2F..%2F/secret.png`,
      `/profile_background_images/1/..%2F..%2F..%2Fsecret.png`,
      `${bannerPath}/..%2F..%2F..%2F..%2Fsecret.png`,
      `${bannerPath}/%2e%2e`,
      `${bannerPath}/..`,
      `/profile_banners/..%2F..%2F/1/web`,
      `/sticky/default_profile_images/..%2F..%2F..%2Fsecret_normal.png`,
      `/sticky/default_profile_images/../../secret_normal.png`,
      `//profile_images/${imageId}/../../../secret_normal.png`,
      `/secret_normal.png`,
      `/planted/secret_normal.png`,
      `/profile_images/../planted/secret_normal.png`,
      `/profile_images/..%2Fplanted/secret_normal.png`,
      `/profile_images/%2e%2e%2fplanted/secret_normal.png`,
      `/secret.png`,
      `/media/secret_normal.png`,
      `/plumage.db`,
      `/profile_images/${imageId}/../../../plumage.db`,
      `/profile_images/..%2F..%2Fplumage.db`,
    ];
    for (const p of paths) {
      assertNotFound(await rawGet(server.url, p), p);
    }
    // The real avatar is still served from the same folder, so the 404s were not a broken store.
    assert.equal((await fetchMedia(u.profile_image_url)).status, 200);
  });

  test('media paths answer GET and HEAD only', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await fetch(u.profile_image_url, { method });
      assert.equal(r.status, 404, `${method} ${u.profile_image_url}`);
      const j: any = await r.json();
      assert.equal(j.errors?.[0]?.code, 34);
    }
    // Still there afterwards.
    assert.equal((await fetchMedia(u.profile_image_url)).status, 200);
  });
});

