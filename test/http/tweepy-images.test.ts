// tweepy (Debian python3-tweepy, unmodified) through the seed's three image/colour endpoints and
// the banner calls, over native HTTPS as tweepy-tls.test.ts does: tweepy sends each image as a
// multipart file part (no part Content-Type) and every other parameter in the query string.
// The served media are fetched over TLS with the test certificate and decoded with sharp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixturePath } from '../fixtures/images.ts';
import { assertStoredMedia, avatarUrls, checkAvatarVariants, checkBannerVariants, fetchImage, fetchServedImage, pixels } from '../helpers/images.ts';
import { PYTHON, firstRequest, lastStep, pythonEnv, recordRequests, requireTweepy, runChild, scriptOutput, startTlsTestServer, type TlsTestServer } from '../helpers/script-clients.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLIENT = path.join(here, 'tweepy_images.py');
// A bound on each child process, so a wedged child fails the test instead of hanging the suite.
const CHILD_LIMIT_MS = 90_000;

type Json = Record<string, unknown>;
interface BannerSize {
  w: number;
  h: number;
  url: string;
}

test('tweepy over HTTPS: update_profile_image, background (generic request), colours (generic request), banner set/get/remove, SVG and HTML refused', async () => {
  await requireTweepy({ timeoutMs: CHILD_LIMIT_MS });

  let tls: TlsTestServer | undefined;
  try {
    tls = await startTlsTestServer('plumage-tweepy-images-', { timeoutMs: CHILD_LIMIT_MS });
    const { server, cert, agent } = tls;
    const base = server.url;
    const alice = await server.account('alice');

    // The raw request lines and content types, to check how tweepy sent each call.
    const seen = recordRequests(server.app.server, { maxBodyBytes: 0 });

    const images = {
      PLUMAGE_AVATAR: fixturePath('progressive.jpg'),
      PLUMAGE_BACKGROUND: fixturePath('animated.gif'),
      PLUMAGE_BANNER: fixturePath('wide.jpg'),
      PLUMAGE_SVG: fixturePath('image.svg'),
      PLUMAGE_HTML: fixturePath('html.png'),
    };
    /** One run of tweepy_images.py: "upload" sets everything, "remove" takes the banner away and tries bad files. */
    const tweepy = async (phase: 'upload' | 'remove'): Promise<Json> => {
      const r = await runChild(PYTHON, [CLIENT, `127.0.0.1:${server.port}`, alice.consumerKey, alice.consumerSecret, alice.token, alice.tokenSecret, 'alice', phase], {
        env: pythonEnv({ REQUESTS_CA_BUNDLE: cert, ...images }),
        timeoutMs: CHILD_LIMIT_MS,
      });
      const out = scriptOutput<Json>(r, `tweepy_images.py ${phase}`, (o) => `tweepy failed at step "${lastStep(o)}": ${String(o.error)}\n${String(o.traceback)}`);
      assert.equal(out.tweepy_version, '4.12.1');
      return out;
    };

    const out = await tweepy('upload');

    // --- How tweepy sent them: multipart bodies, parameters in the query string.
    const lineOf = (prefix: string) => firstRequest(seen, prefix);
    const avatarReq = lineOf('POST /1.1/account/update_profile_image.json?');
    assert.match(avatarReq.line, /[?&]include_entities=False(&|$)/);
    assert.match(avatarReq.line, /[?&]skip_status=True(&|$)/);
    assert.match(avatarReq.type, /^multipart\/form-data; boundary=/);
    const backgroundReq = lineOf('POST /1.1/account/update_profile_background_image.json?');
    assert.match(backgroundReq.line, /[?&]tile=true(&|$)/);
    assert.match(backgroundReq.type, /^multipart\/form-data; boundary=/);
    const coloursReq = lineOf('POST /1.1/account/update_profile_colors.json?');
    assert.match(coloursReq.line, /[?&]profile_link_color=%23f0a(&|$)/);
    assert.equal(coloursReq.type, '', 'tweepy sends update_profile_colors with an empty body');
    const bannerReq = lineOf('POST /1.1/account/update_profile_banner.json?');
    for (const p of ['width=1500', 'height=500', 'offset_left=100', 'offset_top=200']) assert.match(bannerReq.line, new RegExp(`[?&]${p}(&|$)`));
    assert.match(bannerReq.type, /^multipart\/form-data; boundary=/);
    lineOf('GET /1.1/users/profile_banner.json?screen_name=alice');

    // --- update_profile_image: the response already carries the new avatar.
    const avatar = out.avatar as Json;
    assert.equal(avatar.id_str, alice.userId);
    assert.equal(avatar.default_profile_image, false);
    assert.equal(avatar.entities, undefined, 'include_entities=False leaves out entities');
    const avatarHttps = String(avatar.profile_image_url_https);
    assert.match(avatarHttps, /^https:\/\/127\.0\.0\.1:\d+\/profile_images\/[1-9]\d*\/[A-Za-z0-9_-]+_normal\.jpg$/);
    assert.ok(avatarHttps.startsWith(`${base}/profile_images/`), `avatar URL on this server: ${avatarHttps}`);
    assert.equal(avatar.profile_image_url, avatarHttps, 'an HTTPS-only server hands out the same URL in both fields');
    // Each variant a JPEG at its size; the original: progressive.jpg is 320×240, under the 400 px cap.
    const avatars = await checkAvatarVariants(avatarUrls(avatarHttps), [320, 240], agent);
    for (const { url, meta } of Object.values(avatars)) {
      assert.equal(meta.exif, undefined, `${url} carries no EXIF`);
      assert.equal(meta.xmp, undefined, `${url} carries no XMP`);
      assert.equal(meta.icc, undefined, `${url} carries no ICC profile`);
    }

    // --- update_profile_background_image through api.request: image, tile=true.
    const background = out.background as Json;
    assert.equal(background.profile_background_tile, true);
    assert.equal(background.default_profile, false);
    const bgHttps = String(background.profile_background_image_url_https);
    assert.match(bgHttps, /^https:\/\/127\.0\.0\.1:\d+\/profile_background_images\/[1-9]\d*\/[A-Za-z0-9_-]+\.gif$/);
    assert.equal(background.profile_background_image_url, bgHttps);
    const bg = await fetchServedImage(bgHttps, 'image/gif', agent);
    const bgMeta = bg.meta;
    assert.equal(bgMeta.width, 120);
    assert.equal(bgMeta.pages, 3, 'the animated background keeps its three frames');
    assert.ok(!bg.body.includes(Buffer.from('plumage-secret-gif-comment')), 'the GIF comment is gone');

    // --- update_profile_colors through api.request: stored and returned as 6 upper-case digits.
    const colours = out.colours as Json;
    const wantColours = {
      profile_link_color: 'FF00AA',
      profile_background_color: 'C0FFEE',
      profile_sidebar_border_color: 'ABCDEF',
      profile_sidebar_fill_color: 'FFFFFF',
      profile_text_color: '123456',
    };
    for (const [k, v] of Object.entries(wantColours)) assert.equal(colours[k], v, k);
    assert.equal(colours.default_profile, false);
    // The colour call left the images alone.
    assert.equal(colours.profile_image_url_https, avatarHttps);
    assert.equal(colours.profile_background_image_url_https, bgHttps);
    assert.equal(colours.profile_background_tile, true);

    // --- Banner: update (201, tweepy returns None), the sizes map, the user object.
    assert.equal(out.banner_result, 'None');
    const banner = out.banner as { sizes?: Record<string, BannerSize> };
    assert.ok(banner.sizes, `get_profile_banner returned ${JSON.stringify(out.banner)}`);
    const withBanner = out.with_banner as Json;
    const bannerUrl = String(withBanner.profile_banner_url);
    assert.match(bannerUrl, new RegExp(`^https://127\\.0\\.0\\.1:\\d+/profile_banners/${alice.userId}/\\d+$`));
    const bannerVariants = await checkBannerVariants(banner.sizes, bannerUrl, { agent });
    // The crop region was applied: wide.jpg (3000×1000) is red in its left 1000 px; the
    // 1500×500 region starts at x=100, so the 1500x500 variant (scale 1) is red up to x=900.
    // Without the crop (the whole image scaled by 0.5) red would end at x=500.
    const px = await pixels(bannerVariants.files['1500x500']!);
    const isRed = ([r, g, b]: number[]) => r! > 200 && g! < 60 && b! < 60;
    assert.ok(isRed(px(850, 250)), `x=850 of the cropped banner is red (source x=950), got ${px(850, 250)}`);
    assert.ok(!isRed(px(950, 250)), `x=950 of the cropped banner is not red (source x=1050), got ${px(950, 250)}`);

    // --- Second run: remove_profile_banner (200, empty: tweepy returns None), then users/profile_banner 404s.
    const removed = await tweepy('remove');
    lineOf('POST /1.1/account/remove_profile_banner.json');
    assert.equal(removed.remove_result, 'None');
    assert.deepEqual(removed.banner_after_removal, {
      raised: 'NotFound',
      status: 404,
      api_codes: [34],
      api_messages: ['Sorry, that page does not exist.'],
    });
    const gone = await fetchImage(bannerVariants.urls.web!, agent);
    assert.equal(gone.status, 404, 'the removed banner is no longer served');

    // --- An SVG, and HTML named .png, as the profile image: BadRequest, code 471, nothing changed.
    const unsupported = {
      raised: 'BadRequest',
      status: 400,
      api_codes: [471],
      api_messages: ['Unsupported image type; send a GIF, JPEG, PNG or WebP image.'],
    };
    assert.deepEqual(removed.svg, unsupported);
    assert.deepEqual(removed.html, unsupported);

    const final = removed.final as Json;
    assert.equal(final.profile_image_url_https, avatarHttps, 'a refused upload leaves the avatar as it was');
    assert.equal(final.profile_banner_url, undefined, 'no banner after removal');
    for (const [k, v] of Object.entries(wantColours)) assert.equal(final[k], v, k);

    // --- And storage agrees.
    const stored = await server.deps.profile.byId(alice.userId);
    assertStoredMedia(stored, { avatar: avatarHttps, background: bgHttps, banner: null });
    assert.deepEqual(stored.colours, { link: 'FF00AA', background: 'C0FFEE', sidebarBorder: 'ABCDEF', sidebarFill: 'FFFFFF', text: '123456' });
  } finally {
    await tls?.close();
  }
});
