// python-twitter (Debian python3-twitter 3.3, unmodified) against the test server over plain
// HTTP: it takes `base_url="http://127.0.0.1:PORT/1.1"` as it is and sends every POST as an
// urlencoded body, images as base64 text (clients.md §3). The script runs VerifyCredentials,
// UpdateProfile, UpdateImage, UpdateBackgroundImage, UpdateBanner and the refusals; this side
// checks what went over the wire, what python-twitter returned, the served media (decoded with
// sharp) and what storage holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer } from '../helpers/server.ts';
import { fixture, fixturePath } from '../fixtures/images.ts';
import { assertStoredMedia, assertStoredProfile, avatarUrls, checkAvatarVariants, checkBannerVariants, fetchImage, fetchServedImage } from '../helpers/images.ts';
import { signedFetch } from '../helpers/signing.ts';
import { PYTHON, lastStep, pythonEnv, recordRequests, requireModule, runChild, scriptOutput } from '../helpers/script-clients.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLIENT = path.join(here, 'python_twitter_client.py');

type Json = Record<string, unknown>;

test('python-twitter over HTTP: VerifyCredentials, UpdateProfile, UpdateImage, UpdateBackgroundImage, UpdateBanner, refusals', async () => {
  await requireModule('python', 'twitter', 'python3-twitter');

  let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
  try {
    server = await startTestServer();
    assert.ok(server.url.startsWith('http://127.0.0.1:'), `the test server should serve plain HTTP, got ${server.url}`);
    const base = server.url;

    // An account with an e-mail address, so include_email has something to show.
    const email = 'polly@example.org';
    const polly = await server.account('polly', { email });

    // What python-twitter sent (request line, content type, body) and what Plumage answered.
    const seen = recordRequests(server.app.server);

    const wanted = {
      name: 'Ünïcødé & Co. + 100% = "ok"?',
      url: 'example.org/a?b=c&d=e',
      location: 'Zürich #1 / ☃ 東京',
      description: "a b&c=d+e%20f 😀 ~*!'();:@$,/?[]",
      link: 'c0ffee',
    };
    const r = await runChild(PYTHON, [CLIENT, `${base}/1.1`, polly.consumerKey, polly.consumerSecret, polly.token, polly.tokenSecret], {
      env: pythonEnv({
        PLUMAGE_AVATAR: fixturePath('alpha.png'),
        PLUMAGE_BACKGROUND: fixturePath('image.webp'),
        PLUMAGE_BANNER: fixturePath('wide.jpg'),
        PLUMAGE_SVG: fixturePath('image.svg'),
        PLUMAGE_HTML: fixturePath('html.png'),
        PLUMAGE_NEW_NAME: wanted.name,
        PLUMAGE_NEW_URL: wanted.url,
        PLUMAGE_NEW_LOCATION: wanted.location,
        PLUMAGE_NEW_DESCRIPTION: wanted.description,
        PLUMAGE_NEW_LINK_COLOR: wanted.link,
      }),
    });
    const out = scriptOutput<Json>(r, 'python_twitter_client.py', (o) => `python-twitter failed at step "${lastStep(o)}": ${String(o.error)}\n${String(o.traceback)}`);
    assert.equal(out.version, '3.3');

    // --- The wire: every call as python-twitter makes it, and Plumage's status for each.
    const URLENCODED = 'application/x-www-form-urlencoded';
    const calls = seen.filter((s) => s.path.startsWith('/1.1/'));
    const shape = calls.map((s) => `${s.method} ${s.path} ${s.status} ${s.type}`);
    assert.deepEqual(shape, [
      'GET /1.1/account/verify_credentials.json 200 ',
      'GET /1.1/account/verify_credentials.json 401 ',
      `POST /1.1/account/update_profile_image.json 401 ${URLENCODED}`,
      `POST /1.1/account/update_profile.json 200 ${URLENCODED}`,
      `POST /1.1/account/update_profile_image.json 200 ${URLENCODED}`,
      `POST /1.1/account/update_profile_background_image.json 200 ${URLENCODED}`,
      `POST /1.1/account/update_profile_banner.json 201 ${URLENCODED}`,
      `POST /1.1/account/update_profile_image.json 400 ${URLENCODED}`,
      `POST /1.1/account/update_profile_image.json 400 ${URLENCODED}`,
      'GET /1.1/account/verify_credentials.json 200 ',
    ]);
    const verifyQuery = new URLSearchParams(calls[0]!.query);
    assert.equal(verifyQuery.get('include_email'), 'True');
    assert.equal(verifyQuery.get('include_entities'), 'False');
    assert.equal(verifyQuery.get('skip_status'), 'False');
    assert.equal(verifyQuery.get('tweet_mode'), 'compat');
    for (const s of calls.filter((x) => x.method === 'POST')) assert.equal(s.query, '', `python-twitter puts everything in the body: ${s.method} ${s.path}${s.query}`);
    // The bodies: the profile as sent, each image base64 (standard alphabet) in `image` or `banner`.
    const form = (i: number) => Object.fromEntries(new URLSearchParams(calls[i]!.body.toString('utf8')));
    const b64 = (name: Parameters<typeof fixture>[0]) => fixture(name).toString('base64');
    assert.deepEqual(form(3), { name: wanted.name, url: wanted.url, location: wanted.location, description: wanted.description, profile_link_color: wanted.link });
    assert.deepEqual(form(4), { image: b64('alpha.png'), skip_status: '1' });
    assert.deepEqual(form(5), { image: b64('image.webp'), tile: '1', skip_status: '1' });
    assert.deepEqual(form(6), { banner: b64('wide.jpg') });
    assert.deepEqual(form(7), { image: b64('image.svg') });
    assert.deepEqual(form(8), { image: b64('html.png') });

    // --- VerifyCredentials(include_email=True), before any change.
    const before = out.before as Json;
    assert.equal(before.id, polly.userId);
    assert.equal(before.id_str, polly.userId);
    assert.equal(before.screen_name, 'polly');
    assert.equal(before.email, email);
    assert.equal(before.default_profile_image, true);
    assert.equal(before.default_profile, true);
    assert.equal(before.profile_background_image_url, null);
    assert.equal(before.profile_banner_url, null);

    // --- A wrong consumer secret: 401 code 32 as python-twitter's TwitterError (the raw errors
    // list); UpdateImage only looks at the status and returns None on a 401.
    assert.deepEqual(out.wrong_secret, { raised: 'TwitterError', message: [{ code: 32, message: 'Could not authenticate you.' }] });
    assert.deepEqual(out.wrong_secret_image, { raised: null, result: 'None' });

    // --- UpdateProfile: UTF-8 and reserved characters round-trip; the URL gets http://; the
    // link colour is stored as 6 upper-case digits.
    const profile = out.profile as Json;
    assert.equal(profile.id, polly.userId);
    assert.equal(profile.name, wanted.name);
    assert.equal(profile.url, `http://${wanted.url}`);
    assert.equal(profile.location, wanted.location);
    assert.equal(profile.description, wanted.description);
    assert.equal(profile.profile_link_color, 'C0FFEE');
    assert.equal(profile.default_profile, false);
    assert.equal(profile.profile_image_url, before.profile_image_url, 'UpdateProfile leaves the avatar alone');

    // --- UpdateImage (base64 in an urlencoded body): True, and the avatar really changed.
    assert.equal(out.image_result, true);
    const after = out.after as Json;
    const avatarUrl = String(after.profile_image_url);
    assert.notEqual(avatarUrl, before.profile_image_url, 'the avatar changed');
    assert.match(avatarUrl, /^http:\/\/127\.0\.0\.1:\d+\/profile_images\/[1-9]\d*\/[A-Za-z0-9_-]+_normal\.png$/);
    assert.ok(avatarUrl.startsWith(`${base}/profile_images/`), `avatar URL on this server: ${avatarUrl}`);
    assert.equal(after.profile_image_url_https, avatarUrl, 'a plain-HTTP server hands out the same URL in both fields');
    assert.equal(after.default_profile_image, false);
    // Each variant a PNG at its size; the original: alpha.png is 240×160, under the 400 px cap.
    const avatars = await checkAvatarVariants(avatarUrls(avatarUrl), [240, 160]);
    for (const { url, meta } of Object.values(avatars)) assert.equal(meta.hasAlpha, true, `${url} keeps its transparency`);
    // The default avatar it replaced is not the user's any more, but it is still served.
    assert.match(String(before.profile_image_url), /\/sticky\/default_profile_images\/default_profile_normal\.png$/);
    const defaultAvatar = await fetchImage(String(before.profile_image_url));
    assert.deepEqual([defaultAvatar.status, defaultAvatar.meta?.width, defaultAvatar.meta?.height], [200, 48, 48]);

    // --- UpdateBackgroundImage(tile=True): True (with python-twitter's deprecation warning),
    // the background URL present and tile true.
    assert.equal(out.background_result, true);
    assert.deepEqual(out.background_warnings, ['PythonTwitterDeprecationWarning330']);
    const bgUrl = String(after.profile_background_image_url);
    assert.match(bgUrl, /^http:\/\/127\.0\.0\.1:\d+\/profile_background_images\/[1-9]\d*\/[A-Za-z0-9_-]+\.webp$/);
    assert.equal(after.profile_background_image_url_https, bgUrl);
    assert.equal(after.profile_background_tile, true);
    assert.equal(after.profile_use_background_image, true);
    const bg = await fetchServedImage(bgUrl, 'image/webp');
    assert.deepEqual([bg.meta.width, bg.meta.height], [200, 150], 'the 200×150 background is kept at its size');

    // --- UpdateBanner (base64 `banner`): True; users/profile_banner lists the ten variants.
    assert.equal(out.banner_result, true);
    const bannerUrl = String(after.profile_banner_url);
    assert.match(bannerUrl, new RegExp(`^http://127\\.0\\.0\\.1:\\d+/profile_banners/${polly.userId}/\\d+$`));
    // python-twitter has no call for users/profile_banner: ask with a signed request.
    const sizesRes = await signedFetch(base, polly, 'GET', '/1.1/users/profile_banner.json', { query: { screen_name: 'polly' } });
    assert.equal(sizesRes.status, 200, sizesRes.text);
    await checkBannerVariants((sizesRes.json as { sizes: Record<string, { w: number; h: number; url: string }> }).sizes, bannerUrl);

    // --- An SVG, and HTML named .png, as the profile image: 400 on the wire (seen above),
    // which python-twitter raises as TwitterError({'message': 'Image data could not be processed'}).
    const unprocessable = { raised: 'TwitterError', message: { message: 'Image data could not be processed' } };
    assert.deepEqual(out.svg, unprocessable);
    assert.deepEqual(out.html, unprocessable);
    // ... and they changed nothing: the final VerifyCredentials still has the PNG avatar.

    // --- The final user object agrees with UpdateProfile's answer.
    for (const k of ['name', 'url', 'location', 'description', 'profile_link_color', 'email'] as const) {
      assert.equal(after[k], k === 'email' ? email : profile[k], k);
    }

    // --- And storage agrees.
    const stored = await server.deps.profile.byId(polly.userId);
    assertStoredProfile(stored, { screenName: 'polly', name: wanted.name, url: `http://${wanted.url}`, location: wanted.location, description: wanted.description, email });
    assert.equal(stored.colours.link, 'C0FFEE');
    assertStoredMedia(stored, { avatar: avatarUrl, background: bgUrl, banner: bannerUrl });
  } finally {
    await server?.close();
  }
});
