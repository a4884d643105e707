// Nothing half-written and the auth rows on the appearance endpoints (issue #3 items 6 and 7),
// through HTTP: colour updates racing image uploads keep both, racing uploads leave exactly
// one complete set of blobs, a refused request changes nothing; a read-only app (403 / 261), a
// bearer token (403 / 220), a bad signature (401 / 32), an unknown token (401 / 89) and no
// credentials (400 / 215) on every POST, each leaving the profile and the store untouched.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, twitterApiV2, type Credentials, type TestServer } from '../helpers/server.ts';
import { signedFetch, signedRequest } from '../helpers/signing.ts';
import { fixture, type FixtureName } from '../fixtures/images.ts';
import {
  assertTwitterError,
  avatarUrls,
  blobKeys,
  fetchMedia,
  multipart,
  noisyPng,
  postMultipart,
  showUser,
  stopServer,
  twitterLite,
  type ApiResult,
  type Part,
} from '../helpers/images.ts';

const COLOURS = '/1.1/account/update_profile_colors.json';
const IMAGE = '/1.1/account/update_profile_image.json';
const BACKGROUND = '/1.1/account/update_profile_background_image.json';
const BANNER = '/1.1/account/update_profile_banner.json';
const REMOVE_BANNER = '/1.1/account/remove_profile_banner.json';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => stopServer(server));

function avatarKeys(u: any): string[] {
  return Object.values(avatarUrls(u.profile_image_url)).map((url) => new URL(url).pathname.slice(1)).sort();
}

async function assertAvatarServed(u: any, label: string): Promise<void> {
  for (const url of Object.values(avatarUrls(u.profile_image_url))) {
    assert.equal((await fetchMedia(url)).status, 200, `${label}: ${url}`);
  }
}

describe('concurrent updates keep each other', () => {
  test('a colour update racing an avatar upload keeps both, round after round', async () => {
    const c = await server.account('racer');
    const v1 = twitterApiV2(server, c);
    const images: FixtureName[] = ['alpha.png', 'progressive.jpg', 'interlaced.png', 'grayscale.jpg', 'image.webp', 'small.png'];
    for (const [round, name] of images.entries()) {
      const hex = (n: number) => (n * 0x1f1f1f + round * 0x0b0b0b).toString(16).padStart(6, '0').slice(-6).toUpperCase();
      const colours = {
        profile_background_color: hex(1),
        profile_link_color: hex(2),
        profile_sidebar_border_color: hex(3),
        profile_sidebar_fill_color: hex(4),
        profile_text_color: hex(5),
      };
      // Alternate which request starts first.
      const colourCall = () => signedFetch(server.url, c, 'POST', COLOURS, { form: colours });
      const imageCall = () => v1.updateAccountProfileImage(fixture(name)) as Promise<any>;
      const [col, img] =
        round % 2 === 0 ? await Promise.all([colourCall(), imageCall()]) : await Promise.all([imageCall(), colourCall()]).then(([i, k]) => [k, i] as const);
      assert.equal(col.status, 200, col.text);
      const back = await showUser(server, c);
      for (const [k, v] of Object.entries(colours)) assert.equal(back[k], v, `round ${round}: ${k}`);
      assert.equal(back.profile_image_url, img.profile_image_url, `round ${round}: the avatar`);
      assert.equal(back.default_profile_image, false);
      await assertAvatarServed(back, `round ${round}`);
    }
  });

  test('colours, avatar, background and banner all at once: every one of them sticks', async () => {
    const c = await server.account('everything');
    for (let round = 0; round < 3; round++) {
      const colour = ['123456', 'ABCDEF', '0F0F0F'][round]!;
      const [col, img, bg, ban] = await Promise.all([
        signedFetch(server.url, c, 'POST', COLOURS, { query: { profile_link_color: colour } }),
        postMultipart(server, c, IMAGE, [{ name: 'image', value: fixture('grayscale.png'), filename: 'a.png' }]),
        twitterLite(server, c).post('account/update_profile_background_image', { image: fixture('small.png').toString('base64'), tile: round % 2 ? 'true' : 'false' }) as Promise<any>,
        postMultipart(server, c, BANNER, [{ name: 'banner', value: fixture('progressive.jpg'), filename: 'b.jpg' }]),
      ]);
      assert.equal(col.status, 200, col.text);
      assert.equal(img.status, 200, img.text);
      assert.equal(ban.status, 201, ban.text);
      const back = await showUser(server, c);
      assert.equal(back.profile_link_color, colour);
      assert.equal(back.profile_image_url, img.json.profile_image_url);
      assert.equal(back.profile_background_image_url, bg.profile_background_image_url);
      assert.equal(back.profile_background_tile, round % 2 === 1);
      assert.equal(typeof back.profile_banner_url, 'string');
      await assertAvatarServed(back, `round ${round}`);
      assert.equal((await fetchMedia(back.profile_background_image_url)).status, 200);
      assert.equal((await fetchMedia(`${back.profile_banner_url}/web`)).status, 200);
    }
  });

  test('racing avatar uploads: one wins, it is served whole, and every loser and predecessor blob is deleted', async () => {
    const c = await server.account('uploads');
    const start = await postMultipart(server, c, IMAGE, [{ name: 'image', value: fixture('small.png'), filename: 'a.png' }]);
    assert.equal(start.status, 200, start.text);
    const keysBefore = (await blobKeys(server)).filter((k) => !avatarKeys(start.json).includes(k));
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(
        (['alpha.png', 'progressive.jpg', 'interlaced.png', 'image.webp'] as const).map((name) =>
          postMultipart(server, c, IMAGE, [{ name: 'image', value: fixture(name), filename: name }]),
        ),
      );
      for (const r of results) assert.equal(r.status, 200, r.text);
      const back = await showUser(server, c);
      assert.ok(results.some((r) => r.json.profile_image_url === back.profile_image_url), `round ${round}: the avatar is none of the uploads`);
      await assertAvatarServed(back, `round ${round}`);
      // Exactly the winner's five blobs, on top of everything that was there before for others.
      assert.deepEqual(await blobKeys(server), [...keysBefore, ...avatarKeys(back)].sort(), `round ${round}`);
    }
  });

  test('racing banner uploads: one complete set of ten variants remains, and it is the one served', async () => {
    const c = await server.account('banners');
    const results = await Promise.all(
      (['progressive.jpg', 'grayscale.png', 'interlaced.png'] as const).map((name) => postMultipart(server, c, BANNER, [{ name: 'banner', value: fixture(name), filename: name }])),
    );
    for (const r of results) assert.equal(r.status, 201, r.text);
    const back = await showUser(server, c);
    const keys = await blobKeys(server, `profile_banners/${c.userId}/`);
    assert.equal(keys.length, 10, keys.join('\n'));
    const stored = new URL(back.profile_banner_url).pathname.slice(1);
    assert.ok(keys.every((k) => k.startsWith(`${stored}/`)), `${stored}: ${keys.join(', ')}`);
    const sizes = await signedFetch(server.url, c, 'GET', '/1.1/users/profile_banner.json');
    for (const s of Object.values(sizes.json.sizes) as Array<{ url: string }>) assert.equal((await fetchMedia(s.url)).status, 200, s.url);
  });

  test('a refused request racing a good one: the good one applies, the refused one changes nothing', async () => {
    const c = await server.account('mixed');
    const before = await showUser(server, c);
    const [badColours, goodImage, badImage, goodColours] = await Promise.all([
      signedFetch(server.url, c, 'POST', COLOURS, { form: { profile_text_color: '000000', profile_link_color: 'nope' } }),
      postMultipart(server, c, IMAGE, [{ name: 'image', value: fixture('alpha.png'), filename: 'a.png' }]),
      postMultipart(server, c, IMAGE, [{ name: 'image', value: fixture('truncated.png'), filename: 't.png' }]),
      signedFetch(server.url, c, 'POST', COLOURS, { form: { profile_sidebar_fill_color: 'FEDCBA' } }),
    ]);
    assertTwitterError(badColours, 403, 120);
    assertTwitterError(badImage, 400, 470);
    assert.equal(goodImage.status, 200, goodImage.text);
    assert.equal(goodColours.status, 200, goodColours.text);
    const back = await showUser(server, c);
    assert.equal(back.profile_text_color, before.profile_text_color);
    assert.equal(back.profile_link_color, before.profile_link_color);
    assert.equal(back.profile_sidebar_fill_color, 'FEDCBA');
    assert.equal(back.profile_image_url, goodImage.json.profile_image_url);
    await assertAvatarServed(back, 'mixed');
  });
});

describe('auth rows on every appearance POST: refused before anything is read or changed', () => {
  let alice: Credentials;
  /** alice's token under a read-only application: same user, write refused. */
  let aliceReadOnly: Credentials;

  before(async () => {
    alice = await server.account('alice');
    const app = await server.deps.accounts.addApp('alice-reader', 'read');
    const { token } = await server.deps.accounts.issueToken(app.consumerKey, 'alice');
    aliceReadOnly = { ...alice, consumerKey: app.consumerKey, consumerSecret: app.consumerSecret, token: token.token, tokenSecret: token.secret };
    // Give alice something of each kind, so "unchanged" covers every field.
    assert.equal((await signedFetch(server.url, alice, 'POST', COLOURS, { form: { profile_link_color: 'ABCDEF' } })).status, 200);
    assert.equal((await postMultipart(server, alice, IMAGE, [{ name: 'image', value: fixture('progressive.jpg'), filename: 'a.jpg' }])).status, 200);
    assert.equal((await postMultipart(server, alice, BACKGROUND, [{ name: 'image', value: fixture('small.png'), filename: 'b.png' }, { name: 'tile', value: 'true' }])).status, 200);
    assert.equal((await postMultipart(server, alice, BANNER, [{ name: 'banner', value: fixture('grayscale.png'), filename: 'c.png' }])).status, 201);
  });

  /** Each appearance POST as a signed request that would succeed with alice's own credentials. */
  const CALLS: Array<{ label: string; path: string; form?: Record<string, string>; parts?: Part[]; query?: Record<string, string> }> = [
    { label: 'update_profile_colors (urlencoded)', path: COLOURS, form: { profile_link_color: '000000', profile_text_color: '111111' } },
    { label: 'update_profile_colors (query)', path: COLOURS, query: { profile_background_color: '222222' } },
    { label: 'update_profile_image (multipart)', path: IMAGE, parts: [{ name: 'image', value: fixture('alpha.png'), filename: 'x.png', contentType: 'image/png' }] },
    { label: 'update_profile_image (base64)', path: IMAGE, form: { image: fixture('small.png').toString('base64') } },
    { label: 'update_profile_background_image', path: BACKGROUND, parts: [{ name: 'image', value: fixture('grayscale.jpg'), filename: 'x.jpg' }, { name: 'tile', value: 'false' }] },
    { label: 'update_profile_background_image (use only)', path: BACKGROUND, form: { use: 'false' } },
    { label: 'update_profile_banner (multipart)', path: BANNER, parts: [{ name: 'banner', value: fixture('interlaced.png'), filename: 'x.png' }] },
    { label: 'update_profile_banner (query, twit)', path: BANNER, query: { banner: fixture('small.png').toString('base64') } },
    { label: 'remove_profile_banner', path: REMOVE_BANNER },
  ];

  function send(c: Credentials, call: (typeof CALLS)[number], sign: { consumerSecret?: string; tokenSecret?: string; token?: string } = {}): Promise<ApiResult> {
    const body = call.parts ? multipart(call.parts) : undefined;
    return signedFetch(server.url, c, 'POST', call.path, {
      ...sign,
      ...(call.form ? { form: call.form } : {}),
      ...(call.query ? { query: call.query } : {}),
      ...(body ? { body: body.body, contentType: body.contentType } : {}),
    });
  }

  /** Sends the call without OAuth, with the given Authorization header (or none). */
  async function sendUnsigned(call: (typeof CALLS)[number], authorization?: string): Promise<ApiResult> {
    const url = new URL(server.url + call.path);
    for (const [k, v] of Object.entries(call.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = authorization ? { authorization } : {};
    let body: RequestInit['body'] | undefined;
    if (call.form) {
      body = new URLSearchParams(call.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (call.parts) {
      const m = multipart(call.parts);
      body = m.body;
      headers['content-type'] = m.contentType;
    }
    const res = await fetch(url, { method: 'POST', headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
  }

  async function snapshot() {
    return { user: await showUser(server, alice), keys: await blobKeys(server) };
  }

  test('read-only application → 403 / 261 on each POST; alice unchanged', async () => {
    const before = await snapshot();
    for (const call of CALLS) assertTwitterError(await send(aliceReadOnly, call), 403, 261, 'Application cannot perform write actions.');
    // twitter-api-v2 and twitter-lite see the same answer.
    const v1err = await twitterApiV2(server, aliceReadOnly).updateAccountProfileImage(fixture('alpha.png')).then(() => undefined, (e: any) => e);
    assert.equal(v1err?.code, 403);
    assert.equal(v1err?.errors?.[0]?.code, 261);
    const liteErr: any = await twitterLite(server, aliceReadOnly).post('account/update_profile_banner', { banner: fixture('small.png').toString('base64') }).then(() => undefined, (e: unknown) => e);
    assert.equal(liteErr?.errors?.[0]?.code, 261);
    assert.deepEqual(await snapshot(), before);
  });

  test('bearer token → 403 / 220 on each POST; nothing changes', async () => {
    const before = await snapshot();
    for (const call of CALLS) assertTwitterError(await sendUnsigned(call, 'Bearer AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3DEUifiRBkKG5E2XzMDjRfl76ZC9Ub0wnz4XsNiRVBChTYbJcE3F'), 403, 220);
    assert.deepEqual(await snapshot(), before);
  });

  test('bad signature (wrong consumer or token secret) → 401 / 32; unknown token → 401 / 89; no credentials → 400 / 215; nothing changes', async () => {
    const before = await snapshot();
    for (const call of CALLS) {
      assertTwitterError(await send(alice, call, { consumerSecret: 'not-the-secret' }), 401, 32, 'Could not authenticate you.');
      assertTwitterError(await send(alice, call, { tokenSecret: 'not-the-secret' }), 401, 32, 'Could not authenticate you.');
      assertTwitterError(await send(alice, call, { token: `${alice.userId}-${'Z'.repeat(40)}` }), 401, 89);
      assertTwitterError(await sendUnsigned(call), 400, 215);
    }
    assert.deepEqual(await snapshot(), before);
  });

  test('a signature over other parameters than those sent → 401 / 32 (the urlencoded body is signed)', async () => {
    const before = await snapshot();
    // Sign one colour, send another: the body is part of the signature.
    const { url, init } = signedRequest(server.url, alice, 'POST', COLOURS, { form: { profile_link_color: '000000' } });
    const res = await fetch(url, { ...init, body: 'profile_link_color=FF0000' });
    assertTwitterError({ status: res.status, json: await res.json() }, 401, 32);
    assert.deepEqual(await snapshot(), before);
  });

  test('authentication comes before the upload is read: an oversized upload with bad credentials is 401 / 403, not 413', async () => {
    const before = await snapshot();
    const big = await noisyPng(5 * 1024 * 1024 + 64 * 1024);
    const call = { label: 'big banner', path: BANNER, parts: [{ name: 'banner', value: big, filename: 'big.png', contentType: 'image/png' }] };
    assertTwitterError(await send(alice, call, { consumerSecret: 'wrong' }), 401, 32);
    assertTwitterError(await send(aliceReadOnly, call), 403, 261);
    assertTwitterError(await sendUnsigned(call, 'Bearer AAAA'), 403, 220);
    assert.deepEqual(await snapshot(), before);
  });
});
