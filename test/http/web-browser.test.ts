// The themed profile in real Chromium: sign in, change the colours (watching the live
// preview), upload an avatar, a tiled background and a banner through the design page, then
// open the profile page and check what the browser computed and loaded. A screenshot of the
// result is kept in test/artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { startTestServer, tempDir } from '../helpers/server.ts';
import { artifactPath, launchBrowser, signIn } from '../helpers/browser.ts';
import { WebAuthService } from '../../src/web/web-auth.service.ts';
import { WebRepository } from '../../src/web/web.repository.ts';
import { UsersRepository } from '../../src/storage/db/users.repository.ts';

const PASSWORD = 'plumage web test password';

// What the callbacks below use in the page; declared here because the project's TypeScript
// has no DOM library (they run in Chromium, not in Node).
declare const document: any;
declare const Image: any;
declare function getComputedStyle(el: unknown): any;

function rgb(hex: string): string {
  const n = parseInt(hex, 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}

test('Chromium: sign in, theme the profile through the design page, see it on the profile page', async () => {
  const server = await startTestServer();
  const dir = tempDir('plumage-web-images-');
  const browser = await launchBrowser();
  try {
    const { deps } = server;
    const alice = await deps.accounts.addUser({ screenName: 'alice', name: 'Alice <Liddell>', description: 'Curiouser & curiouser', url: 'wonderland.example' });
    await new WebAuthService(new WebRepository(deps.db), new UsersRepository(deps.db), deps.rateLimiter, deps.clock).setPassword('alice', PASSWORD);

    const avatarFile = path.join(dir, 'avatar.png');
    const backgroundFile = path.join(dir, 'background.png');
    const bannerFile = path.join(dir, 'banner.png');
    await sharp({ create: { width: 240, height: 240, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toFile(avatarFile);
    await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 250, g: 220, b: 60 } } }).png().toFile(backgroundFile);
    await sharp({ create: { width: 1500, height: 500, channels: 3, background: { r: 20, g: 60, b: 160 } } }).png().toFile(bannerFile);

    const { page } = browser;
    await signIn(page, server.url, 'alice', PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/settings/design');

    // Colours: the live preview follows the picker before anything is saved.
    const colours = { profile_background_color: '1B2836', profile_link_color: 'E0245E', profile_sidebar_fill_color: 'F7E9A0', profile_sidebar_border_color: '8A6D1E', profile_text_color: '14171A' };
    for (const [id, hex] of Object.entries(colours)) await page.locator(`#${id}`).fill(`#${hex.toLowerCase()}`);
    const previewBg = await page.locator('#preview').evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.equal(previewBg, rgb(colours.profile_background_color), 'the preview repaints as the colour changes');
    await Promise.all([page.waitForURL(/saved=colours/), page.getByRole('button', { name: 'Save colours' }).click()]);
    assert.match(await page.locator('.notice').innerText(), /Colours saved/);

    // An unreadable theme is flagged next to the colours.
    await page.locator('#profile_text_color').fill('#f0f0f0');
    assert.equal(await page.locator('#contrast-warnings').isVisible(), true);
    assert.match(await page.locator('#contrast-warnings').innerText(), /Text on the profile card: contrast 1\.\d+:1, needs at least 4\.5:1\./);
    await page.locator('#profile_text_color').fill(`#${colours.profile_text_color.toLowerCase()}`);

    await page.locator('#avatar-file').setInputFiles(avatarFile);
    await Promise.all([page.waitForURL(/saved=avatar/), page.getByRole('button', { name: 'Upload profile image' }).click()]);

    await page.locator('#background-file').setInputFiles(backgroundFile);
    await page.locator('#background-tile').check();
    await Promise.all([page.waitForURL(/saved=background/), page.getByRole('button', { name: 'Save background' }).click()]);

    await page.locator('#banner-file').setInputFiles(bannerFile);
    await Promise.all([page.waitForURL(/saved=banner/), page.getByRole('button', { name: 'Upload banner' }).click()]);
    await page.screenshot({ path: artifactPath('design-alice.png'), fullPage: true });

    // The same services as the API: the v1.1 user object shows every change.
    const stored = await deps.profile.byId(alice.id);
    assert.deepEqual(stored.colours, { background: '1B2836', link: 'E0245E', sidebarFill: 'F7E9A0', sidebarBorder: '8A6D1E', text: '14171A' });
    assert.equal(stored.backgroundTile, true);
    assert.notEqual(stored.profileImage, null);
    assert.notEqual(stored.backgroundImage, null);
    assert.notEqual(stored.banner, null);

    // The profile page, as the browser painted it.
    await page.goto(`${server.url}/alice`, { waitUntil: 'load' });
    const body = await page.evaluate(() => {
      const s = getComputedStyle(document.body);
      return { color: s.backgroundColor, repeat: s.backgroundRepeat, image: s.backgroundImage };
    });
    assert.equal(body.color, rgb(colours.profile_background_color));
    assert.equal(body.repeat, 'repeat');
    assert.match(body.image, /^url\("http:\/\/127\.0\.0\.1:\d+\/profile_background_images\/\d+\/[0-9a-f]+\.png"\)$/);
    assert.equal(await page.locator('#profile-url').evaluate((el) => getComputedStyle(el).color), rgb(colours.profile_link_color));
    const sidebar = await page.locator('.sidebar').evaluate((el) => ({ bg: getComputedStyle(el).backgroundColor, border: getComputedStyle(el).borderTopColor, color: getComputedStyle(el).color }));
    assert.deepEqual(sidebar, { bg: rgb(colours.profile_sidebar_fill_color), border: rgb(colours.profile_sidebar_border_color), color: rgb(colours.profile_text_color) });
    assert.equal(await page.locator('#profile-name').innerText(), 'Alice <Liddell>');

    // Every image loaded, at its natural size: the avatar's _bigger (73×73), the banner, and
    // the background (loaded from the computed URL: CSS backgrounds have no element).
    const avatar = await page.locator('#avatar').evaluate((img: any) => ({ complete: img.complete, w: img.naturalWidth, h: img.naturalHeight, src: img.src }));
    assert.deepEqual({ ...avatar, src: undefined }, { complete: true, w: 73, h: 73, src: undefined });
    assert.match(avatar.src, /_bigger\.png$/);
    const original = await page.locator('#avatar-link').getAttribute('href');
    assert.equal(original, avatar.src.replace('_bigger.png', '.png'));
    const banner = await page.locator('#banner').evaluate((img: any) => ({ complete: img.complete, w: img.naturalWidth, h: img.naturalHeight }));
    assert.deepEqual(banner, { complete: true, w: 1500, h: 500 });
    const bgSize = await page.evaluate(async (css) => {
      const url = /^url\("(.*)"\)$/.exec(css)![1]!;
      const img = new Image();
      img.src = url;
      await img.decode();
      return { w: img.naturalWidth, h: img.naturalHeight };
    }, body.image);
    assert.deepEqual(bgSize, { w: 96, h: 64 });

    await page.screenshot({ path: artifactPath('profile-alice.png'), fullPage: true });
    assert.ok(fs.statSync(artifactPath('profile-alice.png')).size > 1000);

    // Background switched off: no image at all on the page.
    await page.goto(`${server.url}/settings/design`);
    await page.locator('#background-use').uncheck();
    await Promise.all([page.waitForURL(/saved=background/), page.getByRole('button', { name: 'Save background' }).click()]);
    await page.goto(`${server.url}/alice`, { waitUntil: 'load' });
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundImage), 'none');

    // A small screen: the sidebar goes under the card.
    await page.setViewportSize({ width: 380, height: 800 });
    const stacked = await page.evaluate(() => {
      const card = document.querySelector('.profile-card')!.getBoundingClientRect();
      const side = document.querySelector('.sidebar')!.getBoundingClientRect();
      return side.top >= card.bottom;
    });
    assert.equal(stacked, true);

    assert.deepEqual(browser.problems, [], 'no CSP violation or script error in the console');
  } finally {
    await browser.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
