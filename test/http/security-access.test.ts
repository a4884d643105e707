// Access levels on EVERY route (issue #7, item 7). The routes come from the application
// itself (app.routeTable, filled by onRoute), so a route added later is walked too: with a
// read-only token every write answers Twitter's 403 / 261 "Application cannot perform write
// actions." (reference §4.3) and changes nothing, every read works; an app-only bearer token
// never writes (403 / 220). Routes without OAuth must be reads, or be listed below with the
// reason they may write.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { startTestServer, type Credentials, type TestServer } from '../helpers/server.ts';
import { signedFetch } from '../helpers/signing.ts';

/** POST routes without user OAuth, and why that is safe: they authenticate the app itself. */
const UNAUTHENTICATED_WRITES: Record<string, string> = {
  'POST /oauth2/token': 'HTTP Basic with the consumer secret; yields an app-only token that cannot write',
  'POST /oauth2/invalidate_token': "HTTP Basic with the consumer secret; only the app's own bearer token",
};

/** Query parameters a read needs to succeed (routes not listed need none). */
const READ_QUERIES: Record<string, Record<string, string>> = {
  '/1.1/users/show': { screen_name: 'alice' },
};

let server: TestServer;
let rw: Credentials;
let ro: Credentials;
let mediaExamples: Record<string, string>;

before(async () => {
  server = await startTestServer();
  rw = await server.account('alice');
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
  };
});
after(() => server.close());

function concrete(url: string): string {
  if (!url.includes(':') && !url.includes('*')) return url;
  const example = mediaExamples[url];
  assert.ok(example, `route ${url} has parameters but this test has no example URL for it: add one to mediaExamples`);
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
