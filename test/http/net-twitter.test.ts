// Net::Twitter (Debian libnet-twitter-perl 4.01043, unmodified) against the test server over
// plain HTTP (`apiurl => "http://127.0.0.1:PORT/1.1", ssl => 0`). It is the only packaged client
// with first-class update_profile_colors and update_profile_background_image. Colours and the
// profile go as signed urlencoded bodies; images as multipart (boundary xYzZY) with every other
// parameter a text part (clients.md §3). Two runs of net_twitter_client.pl: "upload" sets
// everything, "remove" takes the banner away and tries an SVG; this side checks the wire, what
// Net::Twitter returned, the served media (decoded with sharp) and what storage holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer } from '../helpers/server.ts';
import { fixture, fixturePath } from '../fixtures/images.ts';
import { assertStoredMedia, assertStoredProfile, avatarUrls, checkAvatarVariants, checkBannerVariants, fetchImage, fetchServedImage, pixels } from '../helpers/images.ts';
import { PERL, lastStep, perlEnv, recordRequests, requireModule, runChild, scriptOutput } from '../helpers/script-clients.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLIENT = path.join(here, 'net_twitter_client.pl');

type Json = Record<string, any>;
interface Part {
  filename?: string;
  type?: string;
  data: Buffer;
}

/** The parts of a multipart/form-data body, by name (a hand parser: the bodies are small and well-formed). */
function multipartParts(body: Buffer, boundary: string): Record<string, Part> {
  const parts: Record<string, Part> = {};
  const text = body.toString('latin1');
  const pieces = text.split(`--${boundary}`);
  assert.ok(pieces.length >= 3 && pieces.at(-1)!.startsWith('--'), `not a ${boundary} multipart body: ${text.slice(0, 200)}`);
  for (const piece of pieces.slice(1, -1)) {
    const raw = piece.replace(/^\r\n/, '').replace(/\r\n$/, '');
    const split = raw.indexOf('\r\n\r\n');
    assert.ok(split >= 0, `a part without a blank line: ${raw.slice(0, 200)}`);
    const head = raw.slice(0, split);
    const name = /name="([^"]*)"/.exec(head)?.[1];
    assert.ok(name !== undefined, `a part without a name: ${head}`);
    parts[name] = {
      filename: /filename="([^"]*)"/.exec(head)?.[1],
      type: /^content-type:\s*(.+)$/im.exec(head)?.[1]?.trim(),
      data: Buffer.from(raw.slice(split + 4), 'latin1'),
    };
  }
  return parts;
}

/** A multipart body as name → text value, or { filename, type, same } for a file part compared with its fixture. */
function describeParts(body: Buffer, files: Record<string, Buffer>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(multipartParts(body, 'xYzZY'))) {
    out[name] = p.filename === undefined ? p.data.toString('utf8') : { filename: p.filename, type: p.type, same: files[name]?.equals(p.data) ?? false };
  }
  return out;
}

test('Net::Twitter over HTTP: verify_credentials, colours, profile, avatar, background, banner set/get/remove, wrong secret, SVG refused', async () => {
  await requireModule('perl', 'Net::Twitter', 'libnet-twitter-perl');

  let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
  try {
    server = await startTestServer();
    assert.ok(server.url.startsWith('http://127.0.0.1:'), `the test server should serve plain HTTP, got ${server.url}`);
    const base = server.url;
    const nettie = await server.account('nettie');

    // What Net::Twitter sent (raw request line, content type, body) and what Plumage answered.
    const seen = recordRequests(server.app.server);

    const wanted = {
      name: 'Net::Twitter — Ünïcode & Co. +1 = ✓',
      location: 'Kraków, PL 🇵🇱',
      url: 'https://example.org/~nt?a=1&b=2',
      description: "Perl's ‘quotes’; 100% #hash @at a+b=c/d?e",
    };
    const net = async (phase: 'upload' | 'remove'): Promise<Json> => {
      const r = await runChild(PERL, [CLIENT, `${base}/1.1`, nettie.consumerKey, nettie.consumerSecret, nettie.token, nettie.tokenSecret, 'nettie', phase], {
        env: perlEnv({
          PLUMAGE_AVATAR: fixturePath('exif-orientation-6.jpg'),
          PLUMAGE_BACKGROUND: fixturePath('animated.webp'),
          PLUMAGE_BANNER: fixturePath('progressive.jpg'),
          PLUMAGE_SVG: fixturePath('image.svg'),
          PLUMAGE_NEW_NAME: wanted.name,
          PLUMAGE_NEW_LOCATION: wanted.location,
          PLUMAGE_NEW_URL: wanted.url,
          PLUMAGE_NEW_DESCRIPTION: wanted.description,
        }),
      });
      const out = scriptOutput<Json>(r, `net_twitter_client.pl ${phase}`, (o) => `Net::Twitter failed at step "${lastStep(o)}": ${String(o.error)}\n${r.stderr}`);
      assert.equal(out.version, '4.01043');
      return out;
    };

    const out = await net('upload');

    // --- The wire: request lines, body types and Plumage's status, in order.
    const URLENCODED = 'application/x-www-form-urlencoded';
    const MULTIPART = 'multipart/form-data; boundary=xYzZY';
    // Only the API calls: this side's own media fetches are left out.
    const apiCalls = () => seen.filter((s) => s.path.startsWith('/1.1/'));
    const shape = (from: number) => apiCalls().slice(from).map((s) => `${s.method} ${s.url} ${s.status} ${s.type}`.trimEnd());
    assert.deepEqual(shape(0), [
      // With no arguments Net::Twitter's URL ends in a bare '?'.
      'GET /1.1/account/verify_credentials.json? 200',
      'GET /1.1/account/verify_credentials.json? 401',
      `POST /1.1/account/update_profile_colors.json 200 ${URLENCODED}`,
      `POST /1.1/account/update_profile.json 200 ${URLENCODED}`,
      `POST /1.1/account/update_profile_image.json 200 ${MULTIPART}`,
      `POST /1.1/account/update_profile_background_image.json 200 ${MULTIPART}`,
      `POST /1.1/account/update_profile_banner.json 201 ${MULTIPART}`,
      'GET /1.1/users/profile_banner.json?screen_name=nettie 200',
      'GET /1.1/account/verify_credentials.json?include_entities=false 200',
    ]);
    const uploadCount = apiCalls().length;
    // The bodies: colours and profile urlencoded (values exactly as given, UTF-8); the uploads
    // multipart, each file part with the basename and a type guessed from the extension, every
    // other parameter a text part (booleans declared by the method become true, tile is as given).
    const calls = apiCalls();
    const form = (i: number) => Object.fromEntries(new URLSearchParams(calls[i]!.body.toString('utf8')));
    assert.deepEqual(form(2), {
      profile_background_color: 'C0DEED',
      profile_link_color: '#f0a',
      profile_text_color: '333',
      profile_sidebar_fill_color: 'fff',
      profile_sidebar_border_color: '#AbCdEf',
      skip_status: 'true',
    });
    assert.deepEqual(form(3), wanted);
    assert.deepEqual(describeParts(calls[4]!.body, { image: fixture('exif-orientation-6.jpg') }), {
      image: { filename: 'exif-orientation-6.jpg', type: 'image/jpeg', same: true },
      skip_status: 'true',
    });
    assert.deepEqual(describeParts(calls[5]!.body, { image: fixture('animated.webp') }), {
      image: { filename: 'animated.webp', type: 'image/webp', same: true },
      tile: '1',
      use: 'true',
    });
    assert.deepEqual(describeParts(calls[6]!.body, { banner: fixture('progressive.jpg') }), {
      banner: { filename: 'progressive.jpg', type: 'image/jpeg', same: true },
    });

    // --- verify_credentials, and a wrong consumer secret: Net::Twitter::Error, 401, code 32.
    assert.equal(out.verify.id_str, nettie.userId);
    assert.equal(out.verify.id, nettie.userId, 'the id is exact');
    assert.equal(out.verify.screen_name, 'nettie');
    assert.equal(out.verify.default_profile, true);
    assert.deepEqual(out.wrong_secret, {
      died: true,
      class: 'Net::Twitter::Error',
      code: 401,
      twitter_error_code: 32,
      twitter_error_text: 'Could not authenticate you.',
      twitter_error: { errors: [{ code: 32, message: 'Could not authenticate you.' }] },
    });

    // --- update_profile_colors: 3 or 6 digits, with or without '#', stored as 6 upper-case digits.
    const wantColours = {
      profile_background_color: 'C0DEED',
      profile_link_color: 'FF00AA',
      profile_text_color: '333333',
      profile_sidebar_fill_color: 'FFFFFF',
      profile_sidebar_border_color: 'ABCDEF',
    };
    for (const [k, v] of Object.entries(wantColours)) assert.equal(out.colours[k], v, k);
    assert.equal(out.colours.default_profile, false);

    // --- update_profile: UTF-8 and reserved characters round-trip, colours untouched.
    assert.equal(out.profile.name, wanted.name);
    assert.equal(out.profile.location, wanted.location);
    assert.equal(out.profile.url, wanted.url);
    assert.equal(out.profile.description, wanted.description);
    for (const [k, v] of Object.entries(wantColours)) assert.equal(out.profile[k], v, k);

    // --- update_profile_image (multipart file part): the answer carries the new avatar.
    const avatar = out.avatar as Json;
    assert.equal(avatar.default_profile_image, false);
    const avatarUrl = String(avatar.profile_image_url);
    assert.match(avatarUrl, /^http:\/\/127\.0\.0\.1:\d+\/profile_images\/[1-9]\d*\/[A-Za-z0-9_-]+_normal\.jpg$/);
    assert.ok(avatarUrl.startsWith(`${base}/profile_images/`), `avatar URL on this server: ${avatarUrl}`);
    assert.equal(avatar.profile_image_url_https, avatarUrl);
    assert.notEqual(avatarUrl, out.verify.profile_image_url);
    // Each variant a JPEG at its size; the original: stored 300×200 with EXIF orientation 6, displayed 200×300.
    const avatars = await checkAvatarVariants(avatarUrls(avatarUrl), [200, 300]);
    for (const { url, meta } of Object.values(avatars)) assert.equal(meta.exif, undefined, `${url} carries no EXIF`);
    // The orientation was applied: red (the stored left half) is now on top.
    const px = await pixels(avatars.original!.body);
    const top = px(100, 20);
    const bottom = px(100, 280);
    assert.ok(top[0]! > 200 && top[2]! < 60, `top of the upright avatar is red, got ${top}`);
    assert.ok(bottom[2]! > 200 && bottom[0]! < 60, `bottom of the upright avatar is blue, got ${bottom}`);

    // --- update_profile_background_image (multipart, tile=1, use=true).
    const background = out.background as Json;
    assert.equal(background.profile_background_tile, true);
    assert.equal(background.profile_use_background_image, true);
    const bgUrl = String(background.profile_background_image_url);
    assert.match(bgUrl, /^http:\/\/127\.0\.0\.1:\d+\/profile_background_images\/[1-9]\d*\/[A-Za-z0-9_-]+\.webp$/);
    assert.equal(background.profile_background_image_url_https, bgUrl);
    assert.equal(background.profile_image_url, avatarUrl, 'the background call leaves the avatar alone');
    const bg = await fetchServedImage(bgUrl, 'image/webp');
    assert.equal(bg.meta.width, 120);
    assert.equal(bg.meta.pages, 3, 'the animated background keeps its three frames');

    // --- update_profile_banner: 201 with an empty body, which Net::Twitter returns as {};
    // profile_banner lists the ten variants, each served at its size.
    assert.deepEqual(out.banner_result, {});
    const bannerUrl = String(out.with_banner.profile_banner_url);
    assert.match(bannerUrl, new RegExp(`^http://127\\.0\\.0\\.1:\\d+/profile_banners/${nettie.userId}/\\d+$`));
    assert.equal(out.with_banner.entities, undefined, 'include_entities => 0 went out as false');
    const banner = await checkBannerVariants((out.banner as { sizes: Record<string, { w: number; h: number; url: string }> }).sizes, bannerUrl);
    const storedBanner = (await server.deps.profile.byId(nettie.userId)).banner;
    assert.ok(storedBanner !== null && bannerUrl.endsWith(`/profile_banners/${storedBanner}`), `stored ${storedBanner} vs ${bannerUrl}`);

    // --- Second run: remove_profile_banner, profile_banner 404 code 34, an SVG refused.
    const removed = await net('remove');
    assert.deepEqual(shape(uploadCount), [
      `POST /1.1/account/remove_profile_banner.json 200 ${URLENCODED}`,
      'GET /1.1/users/profile_banner.json?screen_name=nettie 404',
      `POST /1.1/account/update_profile_image.json 400 ${MULTIPART}`,
      'GET /1.1/account/verify_credentials.json? 200',
    ]);
    assert.deepEqual(describeParts(apiCalls()[uploadCount + 2]!.body, { image: fixture('image.svg') }), {
      image: { filename: 'image.svg', type: 'image/svg+xml', same: true },
    });
    assert.deepEqual(removed.remove_result, {});
    assert.deepEqual(removed.banner_after_removal, {
      died: true,
      class: 'Net::Twitter::Error',
      code: 404,
      twitter_error_code: 34,
      twitter_error_text: 'Sorry, that page does not exist.',
      twitter_error: { errors: [{ code: 34, message: 'Sorry, that page does not exist.' }] },
    });
    const gone = await fetchImage(banner.urls.web!);
    assert.equal(gone.status, 404, 'the removed banner is no longer served');
    const unsupported = 'Unsupported image type; send a GIF, JPEG, PNG or WebP image.';
    assert.deepEqual(removed.svg, {
      died: true,
      class: 'Net::Twitter::Error',
      code: 400,
      twitter_error_code: 471,
      twitter_error_text: unsupported,
      twitter_error: { errors: [{ code: 471, message: unsupported }] },
    });

    const final = removed.final as Json;
    assert.equal(final.profile_image_url, avatarUrl, 'the refused SVG left the avatar as it was');
    assert.equal(final.profile_banner_url, undefined, 'no banner after removal');
    assert.equal(final.profile_background_image_url, bgUrl);
    assert.equal(final.name, wanted.name);
    for (const [k, v] of Object.entries(wantColours)) assert.equal(final[k], v, k);

    // --- And storage agrees.
    const stored = await server.deps.profile.byId(nettie.userId);
    assertStoredProfile(stored, { ...wanted, screenName: 'nettie' });
    assert.deepEqual(stored.colours, { background: 'C0DEED', link: 'FF00AA', text: '333333', sidebarFill: 'FFFFFF', sidebarBorder: 'ABCDEF' });
    assertStoredMedia(stored, { avatar: avatarUrl, background: bgUrl, banner: null });
  } finally {
    await server?.close();
  }
});
