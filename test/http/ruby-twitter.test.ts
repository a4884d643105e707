// The Ruby twitter gem (Debian ruby-twitter 7.0.0, unmodified) against the test server over
// native HTTPS. The gem has no base URL option, so ruby_twitter_client.rb replaces the
// Twitter::REST::Request::BASE_URL constant (clients.md §1) and trusts the self-signed
// certificate through SSL_CERT_FILE. The gem sends update_profile and update_profile_banner
// as signed urlencoded bodies (the banner as base64 text, once strict and once wrapped by
// Base64.encode64 every 60 characters) and the profile and background images as multipart
// file parts. The served media are fetched over TLS with the test certificate and decoded with sharp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixturePath } from '../fixtures/images.ts';
import { BANNER_SIZES, assertStoredMedia, assertStoredProfile, checkAvatarVariants, checkBannerVariants, fetchImage, fetchServedImage, pixels } from '../helpers/images.ts';
import { firstRequest, lastStep, recordRequests, runChild, scriptOutput, startTlsTestServer, type TlsTestServer } from '../helpers/script-clients.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLIENT = path.join(here, 'ruby_twitter_client.rb');
// The Debian interpreter: ruby-twitter is installed for it, not for an rbenv/rvm ruby first on PATH.
const RUBY = '/usr/bin/ruby';
// A bound on each child process, so a wedged child fails the test instead of hanging the suite.
const CHILD_LIMIT_MS = 90_000;

type Json = Record<string, unknown>;

/** The environment for the Debian ruby: no rbenv/rvm/bundler leftovers, no proxy for loopback. */
function rubyEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['GEM_HOME', 'GEM_PATH', 'RUBYOPT', 'RUBYLIB', 'BUNDLE_GEMFILE', 'BUNDLE_PATH', 'SSL_CERT_DIR']) delete env[k];
  env.NO_PROXY = '127.0.0.1,localhost';
  env.no_proxy = '127.0.0.1,localhost';
  env.LANG = 'C.UTF-8';
  env.LC_ALL = 'C.UTF-8';
  return { ...env, ...extra };
}

/** Fails the test, saying how to install it, when the Debian ruby cannot load the gem. */
async function requireRubyTwitter(): Promise<void> {
  const probe = await runChild(RUBY, ['-e', 'require "twitter"; print Twitter::Version.to_s'], { env: rubyEnv({}), timeoutMs: CHILD_LIMIT_MS });
  if (probe.code !== 0) {
    assert.fail(`ruby-twitter is missing: "${RUBY} -e 'require \"twitter\"'" failed (CI installs the Debian package ruby-twitter; run "apt-get install ruby-twitter"): ${probe.stderr.trim()}`);
  }
  assert.equal(probe.stdout, '7.0.0', 'the Debian ruby-twitter 7.0.0 is the version clients.md observed');
}

test('ruby twitter gem over HTTPS: profile round-trip, avatar, background, banner (strict and wrapped base64), sizes, removal, refusals', async () => {
  await requireRubyTwitter();

  let tls: TlsTestServer | undefined;
  try {
    tls = await startTlsTestServer('plumage-ruby-twitter-', { timeoutMs: CHILD_LIMIT_MS });
    const { server, cert, agent } = tls;
    const base = server.url;
    const alice = await server.account('alice');

    // The raw request lines and content types, to check how the gem sent each call.
    const seen = recordRequests(server.app.server, { maxBodyBytes: 0 });

    // UTF-8 (including a code point outside the BMP) and every character form encoding reserves.
    const wanted = {
      name: 'Rüby 🦜 & Co. + 100% = "ok"?/#;',
      location: 'Zürich; São Paulo & 1+1=2 #3',
      url: 'https://example.org/päth?q=a+b&r=1%2F2#frag',
      description: 'a b&c=d\nzweite Zeile: ✓ %41 +',
      linkColor: '#1a2B3c',
    };
    const env = rubyEnv({
      SSL_CERT_FILE: cert,
      PLUMAGE_NAME: wanted.name,
      PLUMAGE_LOCATION: wanted.location,
      PLUMAGE_URL: wanted.url,
      PLUMAGE_DESCRIPTION: wanted.description,
      PLUMAGE_LINK_COLOR: wanted.linkColor,
      PLUMAGE_AVATAR: fixturePath('alpha.png'),
      PLUMAGE_BACKGROUND: fixturePath('animated.gif'),
      PLUMAGE_BANNER: fixturePath('wide.jpg'),
      PLUMAGE_BANNER_WRAPPED: fixturePath('interlaced.png'),
      PLUMAGE_SVG: fixturePath('image.svg'),
    });
    /** One run of ruby_twitter_client.rb. */
    const ruby = async (phase: 'upload' | 'wrapped' | 'remove'): Promise<Json> => {
      const r = await runChild(RUBY, [CLIENT, base, alice.consumerKey, alice.consumerSecret, alice.token, alice.tokenSecret, phase], {
        env,
        timeoutMs: CHILD_LIMIT_MS,
      });
      const out = scriptOutput<Json>(
        r,
        `ruby_twitter_client.rb ${phase}`,
        (o) => `the gem failed at step "${lastStep(o)}" (code ${String(o.error_code)}): ${String(o.error)}\n${((o.backtrace as string[] | undefined) ?? []).join('\n')}`,
      );
      assert.equal(out.gem_version, '7.0.0');
      return out;
    };
    const lineOf = (prefix: string) => firstRequest(seen, prefix);
    /** Checks a Twitter::User as the script printed it: the gem's accessors agree with the raw attributes. */
    const user = (u: unknown): Json & { attrs: Json } => {
      const j = u as Json & { attrs: Json };
      assert.equal(j.class, 'Twitter::User');
      assert.equal(j.gem_id, alice.userId, 'the gem read the numeric id exactly');
      assert.equal(j.attrs.id_str, alice.userId);
      assert.equal(j.gem_screen_name, 'alice');
      return j;
    };

    // ===== Phase 1: verify_credentials, update_profile, avatar, background, banner (strict base64).
    const out = await ruby('upload');

    const before = user(out.before);
    assert.equal(before.gem_default_profile_image, true);
    const defaultAvatar = String(before.gem_profile_image_url);

    // --- How the gem sent them.
    lineOf('GET /1.1/account/verify_credentials.json');
    const profileReq = lineOf('POST /1.1/account/update_profile.json');
    assert.equal(profileReq.line, 'POST /1.1/account/update_profile.json', 'update_profile has no query string');
    assert.match(profileReq.type, /^application\/x-www-form-urlencoded/);
    const avatarReq = lineOf('POST /1.1/account/update_profile_image.json');
    assert.match(avatarReq.type, /^multipart\/form-data; boundary=/);
    const backgroundReq = lineOf('POST /1.1/account/update_profile_background_image.json');
    assert.match(backgroundReq.type, /^multipart\/form-data; boundary=/);
    const bannerReq = lineOf('POST /1.1/account/update_profile_banner.json');
    assert.equal(bannerReq.line, 'POST /1.1/account/update_profile_banner.json');
    assert.match(bannerReq.type, /^application\/x-www-form-urlencoded/, 'the banner travels as base64 in a signed urlencoded body');
    lineOf(`GET /1.1/users/profile_banner.json?user_id=${alice.userId}`);

    // --- update_profile: every value exactly as sent; the colour as documented (6 upper-case digits).
    const profile = user(out.profile);
    assert.equal(profile.attrs.name, wanted.name);
    assert.equal(profile.attrs.location, wanted.location);
    assert.equal(profile.attrs.url, wanted.url);
    assert.equal(profile.attrs.description, wanted.description);
    assert.equal(profile.attrs.profile_link_color, '1A2B3C');
    assert.equal(profile.gem_name, wanted.name);
    assert.equal(profile.gem_location, wanted.location);
    assert.equal(profile.gem_description, wanted.description);
    assert.equal(profile.gem_website, wanted.url, 'Twitter::User#website');
    assert.equal(profile.gem_profile_link_color, '1A2B3C');

    // --- update_profile_image(File): a Twitter::User whose profile_image_url changed.
    const avatar = user(out.avatar);
    assert.equal(avatar.gem_default_profile_image, false);
    assert.notEqual(avatar.gem_profile_image_url, defaultAvatar, 'profile_image_url changed');
    const avatarHttps = String(avatar.attrs.profile_image_url_https);
    assert.match(avatarHttps, /^https:\/\/127\.0\.0\.1:\d+\/profile_images\/[1-9]\d*\/[A-Za-z0-9_-]+_normal\.png$/);
    assert.ok(avatarHttps.startsWith(`${base}/profile_images/`), `avatar URL on this server: ${avatarHttps}`);
    assert.equal(avatar.attrs.profile_image_url, avatarHttps, 'an HTTPS-only server hands out the same URL in both fields');
    assert.equal(avatar.gem_profile_image_url, avatarHttps.replace(/^https/, 'http'), 'the gem derives its insecure URL from _https');
    // The gem derives the other sizes from the _normal URL (Twitter::Profile#profile_image_uri_https(size)).
    const gemSizes = avatar.gem_profile_image_url_https as Record<'normal' | 'mini' | 'bigger' | '400x400' | 'original', string>;
    assert.equal(gemSizes.normal, avatarHttps);
    for (const [size, url] of Object.entries(gemSizes)) assert.ok(url.startsWith(`${base}/profile_images/`), `${size}: ${url}`);
    // Each variant a PNG at its size; the original: alpha.png is 240×160, under the 400 px cap.
    const avatars = await checkAvatarVariants(gemSizes, [240, 160], agent);
    for (const { url, body, meta } of Object.values(avatars)) {
      assert.equal(meta.hasAlpha, true, `${url} keeps its transparency`);
      assert.equal(meta.exif, undefined, `${url} carries no EXIF`);
      assert.equal(meta.xmp, undefined, `${url} carries no XMP`);
      assert.ok(!body.includes(Buffer.from('plumage-secret-png-comment')), `${url} carries no PNG comment`);
    }
    // The uploaded colour, not a placeholder: the left half is green.
    const px0 = await pixels(avatars.original!.body);
    const [r0, g0, b0] = px0(20, 80);
    assert.ok(r0! < 40 && g0! > 215 && b0! < 40, `the avatar's left half is green, got ${px0(20, 80)}`);

    // --- update_profile_background_image(File, tile: true).
    const background = user(out.background);
    assert.equal(background.attrs.profile_background_tile, true);
    assert.equal(background.gem_profile_background_tile, true);
    assert.equal(background.attrs.profile_use_background_image, true);
    assert.equal(background.attrs.default_profile, false);
    const bgHttps = String(background.attrs.profile_background_image_url_https);
    assert.match(bgHttps, /^https:\/\/127\.0\.0\.1:\d+\/profile_background_images\/[1-9]\d*\/[A-Za-z0-9_-]+\.gif$/);
    assert.ok(bgHttps.startsWith(`${base}/`));
    assert.equal(background.attrs.profile_background_image_url, bgHttps);
    assert.equal(background.attrs.profile_image_url_https, avatarHttps, 'the background call left the avatar alone');
    const { meta: bgMeta } = await fetchServedImage(bgHttps, 'image/gif', agent);
    assert.deepEqual([bgMeta.width, bgMeta.pageHeight ?? bgMeta.height], [120, 80]);
    assert.equal(bgMeta.pages, 3, 'the animated background keeps its three frames');

    // --- update_profile_banner(Base64.strict_encode64(...)): true, then profile_banner's sizes.
    assert.equal(out.banner_result, true);
    const after = user(out.after);
    const bannerUrl = String(after.attrs.profile_banner_url);
    assert.match(bannerUrl, new RegExp(`^https://127\\.0\\.0\\.1:\\d+/profile_banners/${alice.userId}/\\d+$`));
    assert.ok(bannerUrl.startsWith(`${base}/`));
    assert.equal(after.gem_profile_banner_url_https, `${bannerUrl}/web`, 'Twitter::User#profile_banner_url_https');
    const checkBanner = async (printed: unknown, url: string) => {
      const banner = printed as { class: string; sizes: Record<string, { w: number; h: number }>; attrs: { sizes?: Record<string, { w: number; h: number; url: string }> } };
      assert.equal(banner.class, 'Twitter::ProfileBanner');
      assert.deepEqual(Object.keys(banner.sizes).sort(), Object.keys(BANNER_SIZES).sort(), 'ten variants, read by Twitter::ProfileBanner#sizes');
      for (const [name, [w, h]] of Object.entries(BANNER_SIZES)) {
        assert.deepEqual(banner.sizes[name], { w, h }, `Twitter::Size of ${name}`);
        assert.ok(banner.attrs.sizes?.[name], `sizes.${name} in ${JSON.stringify(banner.attrs)}`);
      }
      // The raw sizes map: each variant's URL, served as a PNG at its size.
      return checkBannerVariants(banner.attrs.sizes!, url, { agent });
    };
    const banner1 = await checkBanner(out.banner, bannerUrl);
    // wide.jpg (3000×1000) is red in its left 1000 px: scaled by 0.5 into 1500x500, red up to x=500.
    const px1 = await pixels(banner1.files['1500x500']!);
    const [r1, g1, b1] = px1(100, 250);
    assert.ok(r1! > 200 && g1! < 60 && b1! < 60, `x=100 of the first banner is red, got ${px1(100, 250)}`);

    // ===== Phase 2: update_profile_banner(Base64.encode64(...)) — newlines every 60 characters.
    const wrapped = await ruby('wrapped');
    assert.ok(Number(wrapped.wrapped_newlines) > 1000, `Base64.encode64 wrapped the banner (${String(wrapped.wrapped_newlines)} newlines)`);
    assert.equal(wrapped.banner_result, true);
    const after2 = user(wrapped.after);
    const bannerUrl2 = String(after2.attrs.profile_banner_url);
    assert.match(bannerUrl2, new RegExp(`^https://127\\.0\\.0\\.1:\\d+/profile_banners/${alice.userId}/\\d+$`));
    assert.notEqual(bannerUrl2, bannerUrl, 'a new banner gets a new URL');
    const banner2 = await checkBanner(wrapped.banner, bannerUrl2);
    // interlaced.png is a gradient (red rising left to right, green top to bottom, blue 128): not red at x=100.
    const px2 = await pixels(banner2.files['1500x500']!);
    const [r2a, g2a, b2a] = px2(100, 250);
    assert.ok(r2a! < 60 && g2a! > 90 && g2a! < 170 && b2a! > 100 && b2a! < 160, `x=100 of the second banner is the gradient's dark end, got ${px2(100, 250)}`);
    const [r2b] = px2(1400, 250);
    assert.ok(r2b! > 200, `x=1400 of the second banner is the gradient's red end, got ${px2(1400, 250)}`);
    const old = await fetchImage(banner1.urls.web!, agent);
    assert.equal(old.status, 404, 'the replaced banner is no longer served');

    // ===== Phase 3: remove_profile_banner, then the refusals.
    const removed = await ruby('remove');
    const removeReq = lineOf('POST /1.1/account/remove_profile_banner.json');
    assert.equal(removeReq.line, 'POST /1.1/account/remove_profile_banner.json');
    assert.equal(removed.remove_result, true);
    assert.deepEqual(removed.banner_after_removal, { raised: 'Twitter::Error::NotFound', code: 34, message: 'Sorry, that page does not exist.' });
    const gone = await fetchImage(banner2.urls.web!, agent);
    assert.equal(gone.status, 404, 'the removed banner is no longer served');

    // An SVG as the profile image: BadRequest with Plumage's unsupported-type code.
    assert.deepEqual(removed.svg, {
      raised: 'Twitter::Error::BadRequest',
      code: 471,
      message: 'Unsupported image type; send a GIF, JPEG, PNG or WebP image.',
    });
    // The wrong consumer secret: Unauthorized, code 32, on a GET and on a signed urlencoded POST.
    const unauthorized = { raised: 'Twitter::Error::Unauthorized', code: 32, message: 'Could not authenticate you.' };
    assert.deepEqual(removed.wrong_secret, unauthorized);
    assert.deepEqual(removed.wrong_secret_update, unauthorized);

    const final = user(removed.final);
    assert.equal(final.attrs.profile_image_url_https, avatarHttps, 'a refused upload leaves the avatar as it was');
    assert.equal(final.attrs.profile_banner_url, undefined, 'no banner after removal');
    assert.equal(final.gem_profile_banner_url_https, null);
    assert.equal(final.attrs.name, wanted.name, 'the rejected update (wrong secret) changed nothing');

    // --- And storage agrees.
    const stored = await server.deps.profile.byId(alice.userId);
    assertStoredProfile(stored, { screenName: 'alice', name: wanted.name, location: wanted.location, url: wanted.url, description: wanted.description });
    assert.equal(stored.colours.link, '1A2B3C');
    assertStoredMedia(stored, { avatar: avatarHttps, background: bgHttps, banner: null });
  } finally {
    await tls?.close();
  }
});
