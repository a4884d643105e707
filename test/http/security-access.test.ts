// Access levels on EVERY route (issue #7, item 7). The routes come from the application
// itself (app.routeTable, filled by onRoute), so a route added later is walked too: with a
// read-only token every write answers Twitter's 403 / 261 "Application cannot perform write
// actions." (reference §4.3) and changes nothing, every read works; an app-only bearer token
// never writes (403 / 220). Routes without OAuth must be reads, or be listed below with the
// reason they may write, and the browser forms among them are shown to refuse a request without
// the session cookie and its CSRF token. The HTML pages that need a browser session answer an
// OAuth-signed request (which is not one) with the "Sign in first" page. A read-only app cannot
// get a read-write token through the three-legged flow either.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import sharp from 'sharp';
import OAuth from 'oauth-1.0a';
import { startTestServer, type Credentials, type TestServer } from '../helpers/server.ts';
import { signedFetch, signedRequest } from '../helpers/signing.ts';
import { Visitor } from '../helpers/visitor.ts';
import { WebAuthService } from '../../src/web/web-auth.service.ts';
import { WebRepository } from '../../src/web/web.repository.ts';
import { UsersRepository } from '../../src/storage/db/users.repository.ts';

const SESSION_FORM = 'a browser form: needs the session cookie and the CSRF token of the page (shown below)';
/** POST routes without user OAuth, and why that is safe: they authenticate the app itself, or are browser forms. */
const UNAUTHENTICATED_WRITES: Record<string, string> = {
  'POST /oauth2/token': 'HTTP Basic with the consumer secret; yields an app-only token that cannot write',
  'POST /oauth2/invalidate_token': "HTTP Basic with the consumer secret; only the app's own bearer token",
  'POST /oauth/request_token': 'OAuth 1.0a signed by the consumer key and secret; yields a request token, which grants nothing until the user allows it',
  'POST /oauth/access_token': 'OAuth 1.0a signed by the consumer and the request token, with the verifier only the user saw; at most the level the user allowed and the app has',
  'POST /login': 'the CSRF token of the sign-in page, then the password (scrypt; failures rate-limited)',
  'POST /logout': SESSION_FORM,
  'POST /settings/design/colors': SESSION_FORM,
  'POST /settings/design/avatar': SESSION_FORM,
  'POST /settings/design/background': SESSION_FORM,
  'POST /settings/design/banner': SESSION_FORM,
  'POST /settings/design/banner/remove': SESSION_FORM,
  'POST /settings/applications/revoke': SESSION_FORM,
  'POST /oauth/authorize': SESSION_FORM,
  'POST /oauth/authenticate': SESSION_FORM,
};

/**
 * Reads that are HTML pages needing a browser session, which an OAuth token is not: what an
 * API request (signed, no cookie) gets, and what a signed-in browser gets.
 */
const BROWSER_READS: Record<string, { api: string; browser: number; query?: () => Promise<Record<string, string>> }> = {
  '/': { api: '404/34', browser: 302 }, // API clients keep Twitter's JSON 404 for the root
  '/settings/design': { api: '401/html', browser: 200 },
  '/settings/applications': { api: '401/html', browser: 200 },
  '/oauth/authorize': { api: '303/login', browser: 200, query: async () => ({ oauth_token: pendingToken }) },
  // Sign in with Plumage answers at once for an app alice already allowed: a token each time.
  '/oauth/authenticate': { api: '303/login', browser: 200, query: async () => ({ oauth_token: await requestToken() }) },
};

const METRICS_TOKEN = 'metrics-token-of-the-access-test';
/** Reads that take credentials of their own, not an OAuth token. */
const OWN_CREDENTIAL_READS: Record<string, { api: string; headers: Record<string, string> }> = {
  '/metrics': { api: '401/89', headers: { authorization: `Bearer ${METRICS_TOKEN}` } },
};

/** Query parameters a read needs to succeed (routes not listed need none). */
const READ_QUERIES: Record<string, Record<string, string>> = {
  '/1.1/users/show': { screen_name: 'alice' },
};

let server: TestServer;
let rw: Credentials;
let ro: Credentials;
let mediaExamples: Record<string, string>;
let browser: Visitor;
let pendingToken: string;
const PASSWORD = 'a long enough password';

/** Signs a request to /oauth/* with the oauth-1.0a package, as a third-party client does. */
async function oauthPost(path: string, consumer: { key: string; secret: string }, form: Record<string, string>, token?: { key: string; secret: string }) {
  const oauth = new OAuth({ consumer, signature_method: 'HMAC-SHA1', hash_function: (base, key) => crypto.createHmac('sha1', key).update(base).digest('base64') });
  const url = `${server.url}${path}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: oauth.toHeader(oauth.authorize({ url, method: 'POST', data: form }, token)).Authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  return { status: res.status, text, form: new URLSearchParams(text) };
}

/** A new request token of alice's read-write app (oob), waiting for the user. */
async function requestToken(): Promise<string> {
  const rt = await oauthPost('/oauth/request_token', { key: rw.consumerKey, secret: rw.consumerSecret }, { oauth_callback: 'oob' });
  assert.equal(rt.status, 200, rt.text);
  return rt.form.get('oauth_token')!;
}

before(async () => {
  server = await startTestServer({ metricsToken: METRICS_TOKEN });
  rw = await server.account('alice');
  const { deps } = server;
  await new WebAuthService(new WebRepository(deps.db), new UsersRepository(deps.db), deps.rateLimiter, deps.clock).setPassword('alice', PASSWORD);
  browser = new Visitor(server.url);
  await browser.signIn('alice', PASSWORD);
  const roApp = await server.deps.accounts.addApp('read-only-app', 'read');
  const { token } = await server.deps.accounts.issueToken(roApp.consumerKey, 'alice');
  ro = { ...rw, consumerKey: roApp.consumerKey, consumerSecret: roApp.consumerSecret, token: token.token, tokenSecret: token.secret };
  // Give alice every kind of image, so that every media route has a real URL to serve.
  const png = await sharp({ create: { width: 1500, height: 500, channels: 3, background: '#884422' } }).png().toBuffer();
  const upload = async (p: string, field: string) => {
    const f = new FormData();
    f.append(field, new Blob([png], { type: 'image/png' }), 'x.png');
    const r = await signedFetch(server.url, rw, 'POST', p, { body: f });
    assert.ok(r.status === 200 || r.status === 201, `${p}: ${r.status} ${r.text}`);
    return r.json;
  };
  const avatar = await upload('/1.1/account/update_profile_image.json', 'image');
  const background = await upload('/1.1/account/update_profile_background_image.json', 'image');
  await upload('/1.1/account/update_profile_banner.json', 'banner');
  const banner = (await signedFetch(server.url, rw, 'GET', '/1.1/users/profile_banner.json')).json.sizes.web.url as string;
  const pathOf = (u: string) => new URL(u).pathname;
  mediaExamples = {
    '/profile_images/:id/:file': pathOf(avatar.profile_image_url_https),
    '/profile_background_images/:id/:file': pathOf(background.profile_background_image_url_https),
    '/profile_banners/:uid/:ts': pathOf(banner).replace(/\/web$/, ''),
    '/profile_banners/:uid/:ts/:variant': pathOf(banner),
    '/sticky/default_profile_images/:file': '/sticky/default_profile_images/default_profile_normal.png',
    '/docs/static/*': '/docs/static/index.css',
    '/web/static/:file': '/web/static/site.css',
    '/web/theme/:file': `/web/theme/${rw.userId}.css`,
    '/:screen_name': '/alice',
  };
  // A request token waiting for the user, for the authorise page.
  pendingToken = await requestToken();
});
after(() => server.close());

function concrete(url: string): string {
  if (!url.includes(':') && !url.includes('*')) return url;
  const example = mediaExamples[url];
  assert.ok(example, `route ${url} has parameters but this test has no example URL for it: add one to mediaExamples`);
  assert.ok(!example.includes(':'), example);
  return example;
}

const code = (r: { status: number; json?: any }) => `${r.status}/${r.json?.errors?.[0]?.code ?? '-'}`;

test('the route table lists every route the app answers', () => {
  const urls = new Set(server.app.routeTable.map((r) => `${r.method} ${r.url}`));
  for (const r of ['GET /1.1/account/verify_credentials.json', 'POST /1.1/account/update_profile_image', 'POST /oauth2/token', 'GET /profile_images/:id/:file']) {
    assert.ok(urls.has(r), r);
  }
  assert.ok(server.app.routeTable.length >= 30, `only ${server.app.routeTable.length} routes`);
});

test('with a read-only token, every write route answers 403 / 261 and changes nothing', async () => {
  const writes = server.app.routeTable.filter((r) => r.method !== 'GET' && r.method !== 'HEAD' && r.config.auth !== undefined);
  assert.ok(writes.length >= 12, `only ${writes.length} write routes found`);
  const before = await server.deps.accounts.getUser('alice');
  const failures: string[] = [];
  for (const r of writes) {
    if (r.config.write !== true) failures.push(`${r.method} ${r.url} changes state but is not marked write: true`);
    const res = await signedFetch(server.url, ro, r.method, concrete(r.url), { form: { name: 'Hacked', profile_link_color: '000000', tile: 'true', use: 'true' } });
    if (code(res) !== '403/261') failures.push(`${r.method} ${r.url}: ${res.status} ${res.text.slice(0, 200)}`);
    else assert.equal(res.json.errors[0].message, 'Application cannot perform write actions.');
  }
  assert.deepEqual(failures, [], failures.join('\n'));
  assert.deepEqual(await server.deps.accounts.getUser('alice'), before);
});

test('with a read-only token, every read route works', async () => {
  const reads = server.app.routeTable.filter((r) => r.method === 'GET' || r.method === 'HEAD');
  assert.ok(reads.length >= 20, `only ${reads.length} read routes found`);
  const failures: string[] = [];
  for (const r of reads) {
    const own = OWN_CREDENTIAL_READS[r.url];
    if (own) {
      const api = await signedFetch(server.url, ro, r.method, r.url);
      if ((r.method === 'HEAD' ? String(api.status) : code(api)) !== (r.method === 'HEAD' ? own.api.split('/')[0] : own.api)) failures.push(`${r.method} ${r.url} with an OAuth token: ${code(api)}, expected ${own.api}`);
      const res = await fetch(`${server.url}${r.url}`, { method: r.method, headers: own.headers });
      if (res.status !== 200) failures.push(`${r.method} ${r.url} with its own credentials: ${res.status}`);
      continue;
    }
    const page = BROWSER_READS[r.url];
    if (page) {
      // An OAuth token is not a browser session: the page answers as to a stranger.
      const query = await page.query?.();
      const signed = signedRequest(server.url, ro, r.method, concrete(r.url), query ? { query } : {});
      const apiRes = await fetch(signed.url, { ...signed.init, redirect: 'manual' });
      const api = { status: apiRes.status, headers: apiRes.headers, text: await apiRes.text(), json: undefined as any };
      try {
        api.json = JSON.parse(api.text);
      } catch {
        // an HTML page or an empty redirect
      }
      const type = api.headers.get('content-type') ?? '';
      const got = api.status === 303 && /^\/login\?next=/.test(api.headers.get('location') ?? '') ? '303/login'
        : /^text\/html/.test(type) ? `${api.status}/html`
        : code(api);
      if (r.method === 'HEAD' ? String(api.status) !== page.api.split('/')[0] : got !== page.api) failures.push(`${r.method} ${r.url} with an OAuth token: ${got}, expected ${page.api}`);
      if (page.api === '401/html' && r.method === 'GET') assert.match(api.text, /Sign in first/);
      // The signed-in browser gets the page.
      const again = await page.query?.();
      const res = await browser.go(`${concrete(r.url)}${again ? `?${new URLSearchParams(again)}` : ''}`, { method: r.method });
      if (res.status !== page.browser) failures.push(`${r.method} ${r.url} signed in: ${res.status} ${res.text.slice(0, 200)}`);
      continue;
    }
    const query = READ_QUERIES[r.url.replace(/\.json$/, '')];
    const res = await signedFetch(server.url, ro, r.method, concrete(r.url), query ? { query } : {});
    if (res.status !== 200) failures.push(`${r.method} ${r.url}: ${res.status} ${res.text.slice(0, 200)}`);
  }
  assert.deepEqual(failures, [], failures.join('\n'));
});

test('routes without user OAuth are reads, or app-authenticated writes listed with their reason', () => {
  const open = server.app.routeTable.filter((r) => r.config.auth === undefined && r.method !== 'GET' && r.method !== 'HEAD');
  const unexplained = open.map((r) => `${r.method} ${r.url}`).filter((k) => !(k in UNAUTHENTICATED_WRITES));
  assert.deepEqual(unexplained, [], `write routes without OAuth: ${unexplained.join(', ')}`);
});

test("a read-only app's bearer token reads but never writes (403 / 220) on any write route", async () => {
  const basic = `Basic ${Buffer.from(`${ro.consumerKey}:${ro.consumerSecret}`).toString('base64')}`;
  const t = await fetch(`${server.url}/oauth2/token`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  assert.equal(t.status, 200);
  const bearer = ((await t.json()) as { access_token: string }).access_token;
  const failures: string[] = [];
  for (const r of server.app.routeTable.filter((x) => x.config.auth !== undefined)) {
    const query = READ_QUERIES[r.url.replace(/\.json$/, '')];
    const url = `${server.url}${concrete(r.url)}${query ? `?${new URLSearchParams(query)}` : ''}`;
    const res = await fetch(url, { method: r.method, headers: { authorization: `Bearer ${bearer}` } });
    const body = r.method === 'HEAD' ? undefined : ((await res.json()) as any);
    const got = `${res.status}/${body?.errors?.[0]?.code ?? '-'}`;
    if (r.config.write && got !== '403/220') failures.push(`${r.method} ${r.url}: ${got}`);
    if (!r.config.write && r.config.auth === 'user-or-app' && res.status !== 200) failures.push(`${r.method} ${r.url}: ${got}`);
    if (!r.config.write && r.config.auth === 'user' && (r.method === 'HEAD' ? res.status !== 403 : got !== '403/220')) failures.push(`${r.method} ${r.url}: ${got}`);
  }
  assert.deepEqual(failures, [], failures.join('\n'));
});

test('browser forms refuse a request without the session or without its CSRF token, and change nothing', async () => {
  const forms = server.app.routeTable.filter((r) => r.method === 'POST' && (UNAUTHENTICATED_WRITES[`POST ${r.url}`] === SESSION_FORM || r.url === '/login'));
  assert.ok(forms.length >= 10, `only ${forms.length} forms`);
  const uploads = new Set(['/settings/design/avatar', '/settings/design/background', '/settings/design/banner']);
  const png = await sharp({ create: { width: 600, height: 200, channels: 3, background: '#112233' } }).png().toBuffer();
  const appId = (await server.deps.accounts.findApp(rw.consumerKey)).id;
  const fields = (csrf?: string): Record<string, string> => ({
    ...(csrf ? { csrf_token: csrf } : {}),
    profile_link_color: '000000', tile: 'on', use: 'on', app_id: appId, oauth_token: pendingToken, decision: 'allow', screen_name: 'alice', password: PASSWORD,
  });
  const multipart = (f: Record<string, string>) => {
    const fd = new FormData();
    for (const [k, v] of Object.entries(f)) fd.append(k, v);
    fd.append('image', new Blob([png], { type: 'image/png' }), 'x.png');
    fd.append('banner', new Blob([png], { type: 'image/png' }), 'x.png');
    return fd;
  };
  // A visitor of its own: a valid pre-session CSRF token, which is not alice's session's.
  const stranger = new Visitor(server.url);
  const foreignCsrf = stranger.csrf((await stranger.go('/login')).text);
  const before = await server.deps.accounts.getUser('alice');
  const failures: string[] = [];
  const refused = (what: string, res: { status: number; headers: Headers; text: string }, statuses: number[]) => {
    const html = /^text\/html/.test(res.headers.get('content-type') ?? '');
    if (!statuses.includes(res.status) || !html) failures.push(`${what}: ${res.status} ${res.headers.get('content-type')} ${res.text.slice(0, 120)}`);
    if (res.headers.getSetCookie().some((c) => /^plumage_session=[^;]/.test(c))) failures.push(`${what}: started a session`);
  };
  for (const r of forms) {
    const body = (csrf?: string) => (uploads.has(r.url) ? multipart(fields(csrf)) : fields(csrf));
    // An API client with alice's read-write access token: a token is not a browser session.
    const api = await signedFetch(server.url, rw, 'POST', r.url, uploads.has(r.url) ? { body: multipart(fields()) } : { form: fields() });
    refused(`${r.url} with an OAuth token`, api, r.url === '/login' || r.url === '/logout' ? [403] : [401]);
    // Alice's browser, without the CSRF token, and with another visitor's.
    refused(`${r.url} signed in, no CSRF token`, await browser.post(r.url, body()), [403]);
    refused(`${r.url} signed in, a foreign CSRF token`, await browser.post(r.url, body(foreignCsrf)), [403]);
  }
  assert.deepEqual(failures, [], failures.join('\n'));
  // Nothing changed: the profile, alice's token (not revoked), her session (not ended), the request token (not decided).
  assert.deepEqual(await server.deps.accounts.getUser('alice'), before);
  assert.equal((await signedFetch(server.url, rw, 'GET', '/1.1/account/verify_credentials.json')).status, 200);
  const authorize = await browser.go(`/oauth/authorize?oauth_token=${pendingToken}`);
  assert.equal(authorize.status, 200);
  assert.match(authorize.text, /Update your profile/, 'a read-write app asks for write access');
  // The same forms with the token are accepted (so the refusals above are the CSRF check's).
  const colours = await browser.post('/settings/design/colors', { csrf_token: browser.csrf(authorize.text), profile_link_color: '123456' });
  assert.equal(colours.status, 303);
  assert.equal((await server.deps.accounts.getUser('alice')).colours.link, '123456');
});

test('a read-only app gets a read-only token through the three-legged flow, even asking x_auth_access_type=write', async () => {
  const consumer = { key: ro.consumerKey, secret: ro.consumerSecret };
  const rt = await oauthPost('/oauth/request_token', consumer, { oauth_callback: 'oob', x_auth_access_type: 'write' });
  assert.equal(rt.status, 200, rt.text);
  const requestToken = { key: rt.form.get('oauth_token')!, secret: rt.form.get('oauth_token_secret')! };
  const page = await browser.go(`/oauth/authorize?oauth_token=${requestToken.key}`);
  assert.equal(page.status, 200);
  assert.match(page.text, /read-only-app/);
  assert.doesNotMatch(page.text, /Update your profile/, 'the page does not promise write access');
  const allowed = await browser.post('/oauth/authorize', { csrf_token: browser.csrf(page.text), oauth_token: requestToken.key, decision: 'allow' });
  assert.equal(allowed.status, 200, allowed.text.slice(0, 300));
  const pin = /id="oauth_pin"[^>]*>([^<]+)</.exec(allowed.text)?.[1]?.trim();
  assert.ok(pin, 'the PIN page');
  const at = await oauthPost('/oauth/access_token', consumer, { oauth_verifier: pin }, requestToken);
  assert.equal(at.status, 200, at.text);
  const creds: Credentials = { ...ro, token: at.form.get('oauth_token')!, tokenSecret: at.form.get('oauth_token_secret')! };
  const before = await server.deps.accounts.getUser('alice');
  assert.equal((await signedFetch(server.url, creds, 'GET', '/1.1/account/verify_credentials.json')).status, 200);
  const write = await signedFetch(server.url, creds, 'POST', '/1.1/account/update_profile.json', { form: { name: 'Hacked' } });
  assert.equal(code(write), '403/261');
  assert.deepEqual(await server.deps.accounts.getUser('alice'), before);
});
