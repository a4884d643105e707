// The web pages over plain HTTP, as a browser without JavaScript uses them: escaping, the
// Content-Security-Policy, 404s, sign-in (CSRF, cookies, rate limit, sessions stored hashed
// and shared between nodes), the design forms and their errors, routes not shadowed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import sharp from 'sharp';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { WebAuthService } from '../../src/web/web-auth.service.ts';
import { WebRepository } from '../../src/web/web.repository.ts';
import { UsersRepository } from '../../src/storage/db/users.repository.ts';
import type { WebDatabase } from '../../src/web/web.schema.ts';
import type { Kysely } from 'kysely';

const PASSWORD = 'correct horse battery staple';

/** A cookie jar and fetch with redirects left to the test. */
class Visitor {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string) {}
  async go(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; text: string; setCookies: string[] }> {
    const headers = new Headers(init.headers);
    if (!headers.has('accept')) headers.set('accept', 'text/html');
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(this.base + path, { ...init, headers, redirect: 'manual' });
    const setCookies = res.headers.getSetCookie();
    for (const c of setCookies) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (value === '' || /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, headers: res.headers, text: await res.text(), setCookies };
  }
  csrf(page: string): string {
    const m = /name="csrf_token" value="([^"]+)"/.exec(page);
    assert.ok(m, 'the page has a CSRF field');
    return m[1]!;
  }
  post(path: string, fields: Record<string, string>) {
    return this.go(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  }
  async signIn(screenName: string, password = PASSWORD, next = '/settings/design') {
    const login = await this.go(`/login?next=${encodeURIComponent(next)}`);
    return this.post('/login', { csrf_token: this.csrf(login.text), screen_name: screenName, password, next });
  }
}

async function withPassword(server: TestServer, screenName: string, extra: { name?: string; description?: string; url?: string; location?: string } = {}) {
  const { deps } = server;
  const user = await deps.accounts.addUser({ screenName, ...extra });
  await new WebAuthService(new WebRepository(deps.db), new UsersRepository(deps.db), deps.rateLimiter, deps.clock).setPassword(screenName, PASSWORD);
  return user;
}

test('profile page: everything escaped, strict CSP, Open Graph, themed stylesheet, 404s, routes not shadowed', async () => {
  const server = await startTestServer();
  try {
    const evil = '<img src=x onerror=alert(1)>"\'&';
    const u = await server.deps.accounts.addUser({ screenName: 'Mallory', name: evil, description: `<script>alert("x")</script> ${evil}`, location: '<b>"\'&</b>', url: 'https://example.com/a"b<c' });
    await server.deps.profile.updateColours(u.id, new (await import('../../src/profile/params.ts')).MapParams(new Map([['profile_link_color', '0A0B0C']])));
    const v = new Visitor(server.url);
    const page = await v.go('/Mallory');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type')!, /^text\/html; charset=utf-8/);
    const csp = page.headers.get('content-security-policy')!;
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self';/);
    assert.match(csp, /style-src 'self';/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    // No user text arrives as markup.
    assert.doesNotMatch(page.text, /<img src=x|<script>alert|onerror=alert\(1\)>/);
    assert.match(page.text, /&lt;img src=x onerror=alert\(1\)&gt;&quot;&#39;&amp;/);
    assert.match(page.text, /href="https:\/\/example\.com\/a%22b%3Cc"|href="https:\/\/example\.com\/a&quot;b&lt;c"/);
    // No inline scripts or styles at all: the CSP would block them.
    assert.doesNotMatch(page.text, /<script>|<style|style="/);
    assert.match(page.text, /<meta property="og:title" content="&lt;img src=x onerror=alert\(1\)&gt;&quot;&#39;&amp; \(@Mallory\)">/);
    assert.match(page.text, /<meta property="og:image" content="http:\/\/127\.0\.0\.1:\d+\/sticky\/default_profile_images\/default_profile_400x400\.png">/);
    assert.match(page.text, /<meta property="og:url" content="http:\/\/127\.0\.0\.1:\d+\/Mallory">/);
    assert.match(page.text, /<img id="avatar" class="avatar" src="[^"]+_bigger\.png" width="73" height="73" alt="Profile picture of /);

    // The theme stylesheet carries the colours; no background image until one is uploaded.
    const theme = /href="(\/web\/theme\/\d+\.css\?v=[0-9a-f]+)"/.exec(page.text)![1]!;
    const css = await v.go(theme);
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type')!, /^text\/css/);
    assert.match(css.text, /--link: #0A0B0C;/);
    assert.match(css.text, /--bg-image: none; --bg-repeat: no-repeat;/);
    assert.equal((await v.go('/web/static/site.css')).status, 200);
    assert.equal((await v.go('/web/static/design.js')).status, 200);
    assert.equal((await v.go('/web/static/..%2fweb.repository.ts')).status, 404);

    // Screen names are case-insensitive; the page lives at the canonical spelling.
    const lower = await v.go('/mallory');
    assert.equal(lower.status, 301);
    assert.equal(lower.headers.get('location'), '/Mallory');

    // Unknown users: a friendly page for browsers, Twitter's JSON for API clients.
    const missing = await v.go('/nobody_here');
    assert.equal(missing.status, 404);
    assert.match(missing.text, /There is no account called <strong>@nobody_here<\/strong>/);
    const missingJson = await v.go('/nobody_here', { headers: { accept: 'application/json' } });
    assert.equal(missingJson.status, 404);
    assert.deepEqual(JSON.parse(missingJson.text), { errors: [{ code: 34, message: 'Sorry, that page does not exist.' }] });
    const xss = await v.go('/%3Cscript%3E');
    assert.equal(xss.status, 404);
    assert.doesNotMatch(xss.text, /<script>/);
    assert.equal((await v.go('/settings')).status, 404);
    // The root: browsers go to sign-in, API clients keep the JSON 404.
    const root = await v.go('/');
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/login');
    assert.equal((await v.go('/', { headers: { accept: 'application/json' } })).status, 404);
    assert.equal((await v.go('/a_name_that_is_too_long')).status, 404);

    // The API and the media routes are not shadowed by /:screen_name.
    const api = await fetch(`${server.url}/1.1/account/verify_credentials.json`);
    assert.equal(api.status, 400);
    assert.equal(((await api.json()) as { errors: Array<{ code: number }> }).errors[0]!.code, 215);
    assert.equal((await fetch(`${server.url}/sticky/default_profile_images/default_profile_bigger.png`)).status, 200);
    const oauth2 = await fetch(`${server.url}/oauth2/token`, { method: 'POST' });
    assert.equal(oauth2.status, 403);
  } finally {
    await server.close();
  }
});

test('sign-in: CSRF, cookie flags, safe redirects, hashed session ids shared by nodes, sign-out, password change', async () => {
  const server = await startTestServer();
  let second: TestServer | undefined;
  try {
    await withPassword(server, 'dave');
    const v = new Visitor(server.url);

    // Settings need a session.
    const anonymous = await v.go('/settings/design');
    assert.equal(anonymous.status, 401);
    // The pre-session CSRF cookie: HttpOnly, SameSite=Lax, not Secure on plain HTTP.
    const csrfCookie = anonymous.setCookies.find((c) => c.startsWith('plumage_csrf='))!;
    assert.match(csrfCookie, /HttpOnly/);
    assert.match(csrfCookie, /SameSite=Lax/);
    assert.doesNotMatch(csrfCookie, /Secure/);
    assert.match(anonymous.text, /href="\/login\?next=%2Fsettings%2Fdesign"/);

    const login = await v.go('/login');
    assert.equal(login.status, 200);
    assert.match(login.text, /<label for="screen_name">Screen name<\/label>/);
    assert.match(login.text, /<label for="password">Password<\/label>/);
    assert.deepEqual(login.setCookies, [], 'the CSRF cookie is kept, not replaced');

    // Without the token, or with another visitor's, the form is refused.
    assert.equal((await v.post('/login', { screen_name: 'dave', password: PASSWORD })).status, 403);
    assert.equal((await v.post('/login', { csrf_token: crypto.randomBytes(24).toString('base64url'), screen_name: 'dave', password: PASSWORD })).status, 403);
    assert.equal(v.cookies.has('plumage_session'), false);

    const wrong = await v.signIn('dave', 'not the password');
    assert.equal(wrong.status, 401);
    assert.match(wrong.text, /aria-invalid="true"/);
    assert.match(wrong.text, /id="login-error" role="alert">That screen name and password do not match/);

    // An open redirect is not possible through ?next=.
    const ok = await v.signIn('dave', PASSWORD, '//evil.example/x');
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/settings/design');
    const session = ok.setCookies.find((c) => c.startsWith('plumage_session='))!;
    assert.match(session, /HttpOnly/);
    assert.match(session, /SameSite=Lax/);
    assert.match(session, /Path=\//);
    const cookieValue = v.cookies.get('plumage_session')!;
    assert.match(cookieValue, /^[A-Za-z0-9_-]{43}$/);

    // Stored hashed: the table holds SHA-256 of the cookie, never the cookie.
    const db = server.deps.db as unknown as Kysely<WebDatabase>;
    const rows = await db.selectFrom('web_sessions').selectAll().execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.id_hash, crypto.createHash('sha256').update(cookieValue).digest('hex'));
    assert.ok(!JSON.stringify(rows).includes(cookieValue));

    const design = await v.go('/settings/design');
    assert.equal(design.status, 200);
    assert.match(design.text, /<label for="profile_background_color">Background colour<\/label><input type="color" id="profile_background_color" name="profile_background_color" value="#f5f8fa"/);

    // Another node on the same database knows the session.
    second = await startTestServer({ dataDir: server.dataDir, ...(server.deps.config.database ? { databaseUrl: server.deps.config.database.url } : {}) });
    const v2 = new Visitor(second.url);
    v2.cookies.set('plumage_session', cookieValue);
    assert.equal((await v2.go('/settings/design')).status, 200);

    // Sign-out needs the session's CSRF token and ends the session everywhere.
    assert.equal((await v.post('/logout', {})).status, 403);
    const out = await v.post('/logout', { csrf_token: v.csrf(design.text) });
    assert.equal(out.status, 303);
    assert.equal(v.cookies.has('plumage_session'), false);
    assert.equal((await v2.go('/settings/design')).status, 401);

    // A new password signs every browser out.
    await v.signIn('dave');
    assert.equal((await v.go('/settings/design')).status, 200);
    await new WebAuthService(new WebRepository(server.deps.db), new UsersRepository(server.deps.db), server.deps.rateLimiter, server.deps.clock).setPassword('dave', 'another long password');
    assert.equal((await v.go('/settings/design')).status, 401);
  } finally {
    await second?.close();
    await server.close();
  }
});

test('sign-in attempts are rate-limited per account: after 10 failures even the right password waits', async () => {
  const server = await startTestServer();
  try {
    // A fresh name per run: in the scaled pass the counters live in the shared Redis.
    const name = `rl_${crypto.randomBytes(4).toString('hex')}`;
    await withPassword(server, name);
    const v = new Visitor(server.url);
    for (let i = 0; i < 10; i++) assert.equal((await v.signIn(name, `wrong ${i}`)).status, 401);
    const blocked = await v.signIn(name, PASSWORD);
    assert.equal(blocked.status, 429);
    assert.match(blocked.text, /Too many sign-in attempts/);
    assert.ok(Number(blocked.headers.get('retry-after')) > 0);
    assert.equal(v.cookies.has('plumage_session'), false);
  } finally {
    await server.close();
  }
});

test('design forms without JavaScript: colours, uploads, errors next to the field, nothing half-applied, CSRF on multipart', async () => {
  const server = await startTestServer();
  try {
    const erin = await withPassword(server, 'erin');
    const v = new Visitor(server.url);
    await v.signIn('erin');
    let design = await v.go('/settings/design');
    const csrf = v.csrf(design.text);

    const colours = { profile_background_color: '#102030', profile_link_color: '#aa0000', profile_sidebar_fill_color: '#ffffff', profile_sidebar_border_color: '#000000', profile_text_color: '#222222' };
    const bad = await v.post('/settings/design/colors', { csrf_token: csrf, ...colours, profile_text_color: 'javascript:alert(1)' });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /<p class="field-error" id="colours-error" role="alert">Account update failed: profile_text_color must be a hex colour/);
    assert.deepEqual((await server.deps.profile.byId(erin.id)).colours, { background: 'F5F8FA', link: '1DA1F2', sidebarBorder: 'C0DEED', sidebarFill: 'DDEEF6', text: '333333' });

    const saved = await v.post('/settings/design/colors', { csrf_token: csrf, ...colours });
    assert.equal(saved.status, 303);
    assert.equal(saved.headers.get('location'), '/settings/design?saved=colours');
    assert.deepEqual((await server.deps.profile.byId(erin.id)).colours, { background: '102030', link: 'AA0000', sidebarBorder: '000000', sidebarFill: 'FFFFFF', text: '222222' });
    assert.equal((await v.post('/settings/design/colors', { ...colours })).status, 403);

    // A white-on-white theme is flagged on the page.
    await v.post('/settings/design/colors', { csrf_token: csrf, profile_text_color: '#fafafa', profile_link_color: '#eeeeee' });
    design = await v.go('/settings/design');
    assert.match(design.text, /<li>Text on the sidebar: contrast 1\.04:1, needs at least 4\.5:1\.<\/li>/);
    assert.doesNotMatch(design.text, /id="contrast-warnings" class="warnings" role="status" hidden/);
    // The owner sees the warning on the profile page too; visitors do not.
    assert.match((await v.go('/erin')).text, /Your theme is hard to read:[\s\S]*Links on the profile card/);
    assert.doesNotMatch((await new Visitor(server.url).go('/erin')).text, /hard to read/);

    const upload = (path: string, field: string, bytes: Buffer, extra: Record<string, string> = {}, withCsrf = true) => {
      const form = new FormData();
      if (withCsrf) form.append('csrf_token', csrf);
      for (const [k, val] of Object.entries(extra)) form.append(k, val);
      form.append(field, new Blob([new Uint8Array(bytes)], { type: 'image/png' }), 'x.png');
      return v.go(path, { method: 'POST', body: form });
    };
    const png = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#336699' } }).png().toBuffer();

    // Not an image: the error sits next to the avatar field; the profile is as it was.
    const garbage = await upload('/settings/design/avatar', 'image', Buffer.from('this is not an image at all'));
    assert.equal(garbage.status, 400);
    assert.match(garbage.text, /id="avatar-error" role="alert">/);
    assert.match(garbage.text, /aria-describedby="avatar-error" aria-invalid="true"/);
    assert.equal((await server.deps.profile.byId(erin.id)).profileImage, null);

    // CSRF on multipart forms too.
    assert.equal((await upload('/settings/design/avatar', 'image', png, {}, false)).status, 403);
    assert.equal((await server.deps.profile.byId(erin.id)).profileImage, null);

    // Too large: refused with the limit, nothing stored.
    const huge = Buffer.alloc(server.deps.config.limits.avatarBytes + 10, 1);
    const tooLarge = await upload('/settings/design/avatar', 'image', huge);
    assert.equal(tooLarge.status, 413);
    assert.match(tooLarge.text, /id="avatar-error"/);

    const ok = await upload('/settings/design/avatar', 'image', png);
    assert.equal(ok.status, 303);
    assert.notEqual((await server.deps.profile.byId(erin.id)).profileImage, null);

    // Background: tile and use are checkboxes; no file keeps the image.
    assert.equal((await upload('/settings/design/background', 'image', png, { tile: 'true', use: 'true' })).status, 303);
    let me = await server.deps.profile.byId(erin.id);
    assert.equal(me.backgroundTile, true);
    assert.equal(me.useBackgroundImage, true);
    const bgBefore = me.backgroundImage;
    assert.notEqual(bgBefore, null);
    const noFile = new FormData();
    noFile.append('csrf_token', csrf);
    assert.equal((await v.go('/settings/design/background', { method: 'POST', body: noFile })).status, 303);
    me = await server.deps.profile.byId(erin.id);
    assert.deepEqual({ tile: me.backgroundTile, use: me.useBackgroundImage, image: me.backgroundImage }, { tile: false, use: false, image: bgBefore });

    const theme = /href="(\/web\/theme\/\d+\.css\?v=[0-9a-f]+)"/.exec((await v.go('/erin')).text)![1]!;
    assert.match((await v.go(theme)).text, /--bg-image: none; --bg-repeat: no-repeat;/);

    // Banner up, then removed.
    const banner = await sharp({ create: { width: 1500, height: 500, channels: 3, background: '#884422' } }).png().toBuffer();
    assert.equal((await upload('/settings/design/banner', 'banner', banner)).status, 303);
    assert.notEqual((await server.deps.profile.byId(erin.id)).banner, null);
    const profile = await v.go('/erin');
    assert.match(profile.text, /<img id="banner" src="http:\/\/127\.0\.0\.1:\d+\/profile_banners\/\d+\/\d+"/);
    const removed = await v.post('/settings/design/banner/remove', { csrf_token: csrf });
    assert.equal(removed.status, 303);
    assert.equal((await server.deps.profile.byId(erin.id)).banner, null);
  } finally {
    await server.close();
  }
});

test('authorize and revoke forms refuse requests without the session CSRF token', async () => {
  const server = await startTestServer();
  try {
    const frank = await withPassword(server, 'frank');
    const creds = await server.deps.accounts.addApp('Some App', 'read-write');
    await server.deps.accounts.issueToken(creds.consumerKey, 'frank');
    const v = new Visitor(server.url);
    await v.signIn('frank');
    const apps = await v.go('/settings/applications');
    assert.match(apps.text, /<strong>Some App<\/strong>/);
    const appId = /name="app_id" value="(\d+)"/.exec(apps.text)![1]!;
    assert.equal((await v.post('/settings/applications/revoke', { app_id: appId })).status, 403);
    assert.equal((await v.post('/oauth/authorize', { oauth_token: 'x', decision: 'allow' })).status, 403);
    const revoked = await v.post('/settings/applications/revoke', { app_id: appId, csrf_token: v.csrf(apps.text) });
    assert.equal(revoked.status, 303);
    assert.match((await v.go('/settings/applications')).text, /No application has access to your account/);
    assert.equal((await v.post('/settings/applications/revoke', { app_id: appId, csrf_token: v.csrf(apps.text) })).status, 404);
    void frank;
  } finally {
    await server.close();
  }
});
