// Secrets never reach the logs (issue #7, item 7): a whole session against the production
// logger at trace level, every endpoint, successes and failures, credentials in the header
// and in the query string, app-only tokens issued and invalidated; then the captured log is
// searched for every consumer secret, token secret, access token, bearer token, Basic
// credential and oauth_signature value that went over the wire.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import sharp from 'sharp';
import { loadConfig } from '../../src/config.ts';
import { createDeps, type Deps } from '../../src/deps.ts';
import { buildApp } from '../../src/http/app.ts';
import { loggerOptions } from '../../src/server.ts';
import { SCALED, scaledConfig, tempDir, type Credentials } from '../helpers/server.ts';
import { signedRequest, type SignOptions } from '../helpers/signing.ts';
import type { FastifyInstance } from 'fastify';

const lines: string[] = [];
let deps: Deps;
let app: FastifyInstance;
let base: string;
let cleanup: (() => Promise<void>) | undefined;
/** Every credential that went over the wire, by what it is. */
const secrets = new Map<string, string>();

before(async () => {
  const sink = new Writable({
    write(chunk, _e, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = pino(loggerOptions('trace'), sink);
  const scaled = SCALED ? await scaledConfig() : null;
  cleanup = scaled?.cleanup;
  deps = await createDeps(loadConfig({ ...(scaled?.input ?? {}), dataDir: tempDir(), logLevel: 'trace' }), { log: logger });
  app = await buildApp(deps, { loggerInstance: logger });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});

after(async () => {
  await app.close();
  await deps.close();
  await cleanup?.();
});

async function account(name: string, level: 'read' | 'read-write'): Promise<Credentials> {
  const user = await deps.accounts.addUser({ screenName: name });
  const a = await deps.accounts.addApp(`app-${name}`, level);
  const { token } = await deps.accounts.issueToken(a.consumerKey, name);
  const c = { consumerKey: a.consumerKey, consumerSecret: a.consumerSecret, token: token.token, tokenSecret: token.secret, userId: user.id, screenName: name };
  secrets.set(`${name} consumer secret`, c.consumerSecret);
  secrets.set(`${name} token secret`, c.tokenSecret);
  secrets.set(`${name} access token`, c.token);
  return c;
}

/** A request signed by oauth-1.0a; its oauth_signature is remembered. */
async function call(c: Credentials, method: string, p: string, o: SignOptions = {}) {
  const { url, init } = signedRequest(base, c, method, p, o);
  const header = (init.headers as Record<string, string>).authorization ?? '';
  const sig = /oauth_signature="([^"]+)"/.exec(header)?.[1] ?? url.searchParams.get('oauth_signature');
  if (sig) secrets.set(`signature ${secrets.size}`, decodeURIComponent(sig));
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
}

async function basic(c: Credentials, p: string, form: Record<string, string>) {
  const cred = Buffer.from(`${encodeURIComponent(c.consumerKey)}:${encodeURIComponent(c.consumerSecret)}`).toString('base64');
  secrets.set(`basic ${secrets.size}`, cred);
  const res = await fetch(`${base}${p}`, { method: 'POST', headers: { authorization: `Basic ${cred}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  return { status: res.status, json: (await res.json()) as any };
}

test('a full session at trace level leaves no secret, token or signature in the logs', async () => {
  const alice = await account('alice', 'read-write');
  const reader = await account('reader', 'read');
  const png = await sharp({ create: { width: 600, height: 200, channels: 3, background: '#3366ff' } }).png().toBuffer();
  const upload = (field: string) => {
    const f = new FormData();
    f.append(field, new Blob([png], { type: 'image/png' }), 'x.png');
    return f;
  };
  const expect = (what: string, r: { status: number; text?: string }, status: number) => assert.equal(r.status, status, `${what}: ${r.text ?? ''}`);

  expect('verify_credentials', await call(alice, 'GET', '/1.1/account/verify_credentials.json', { query: { include_email: 'true' } }), 200);
  expect('verify_credentials, OAuth in the query', await call(alice, 'GET', '/1.1/account/verify_credentials.json', { oauthInQuery: true }), 200);
  expect('users/show', await call(alice, 'GET', '/1.1/users/show.json', { query: { screen_name: 'reader' } }), 200);
  expect('profile_banner, none yet', await call(alice, 'GET', '/1.1/users/profile_banner.json'), 404);
  expect('rate_limit_status', await call(alice, 'GET', '/1.1/application/rate_limit_status.json'), 200);
  expect('update_profile', await call(alice, 'POST', '/1.1/account/update_profile.json', { form: { name: 'Alice', description: 'hi' } }), 200);
  expect('update_profile, OAuth in the body', await call(alice, 'POST', '/1.1/account/update_profile.json', { form: { location: 'Here' }, oauthInQuery: true }), 200);
  expect('update_profile_colors', await call(alice, 'POST', '/1.1/account/update_profile_colors.json', { form: { profile_link_color: 'ff0000' } }), 200);
  expect('update_profile_colors, bad colour', await call(alice, 'POST', '/1.1/account/update_profile_colors.json', { form: { profile_link_color: '</style>' } }), 403);
  const avatar = await call(alice, 'POST', '/1.1/account/update_profile_image.json', { body: upload('image') });
  expect('update_profile_image', avatar, 200);
  const avatar2 = await call(alice, 'POST', '/1.1/account/update_profile_image.json', { form: { image: png.toString('base64') } });
  expect('update_profile_image, base64 in the form', avatar2, 200);
  expect('update_profile_image, garbage', await call(alice, 'POST', '/1.1/account/update_profile_image.json', { form: { image: '!!!' } }), 400);
  expect('update_profile_background_image', await call(alice, 'POST', '/1.1/account/update_profile_background_image.json', { body: upload('image') }), 200);
  expect('update_profile_banner', await call(alice, 'POST', '/1.1/account/update_profile_banner.json', { body: upload('banner') }), 201);
  expect('profile_banner', await call(alice, 'GET', '/1.1/users/profile_banner.json'), 200);
  expect('remove_profile_banner', await call(alice, 'POST', '/1.1/account/remove_profile_banner.json'), 200);
  const media = await fetch(`${base}${new URL(avatar2.json.profile_image_url_https).pathname}`);
  assert.equal(media.status, 200, 'the current avatar');
  await media.arrayBuffer();

  // Failures: each must be logged (if at all) without what the client sent.
  expect('wrong token secret', await call({ ...alice, tokenSecret: 'wrong-secret-value' }, 'GET', '/1.1/account/verify_credentials.json'), 401);
  expect('wrong consumer secret', await call({ ...alice, consumerSecret: 'wrong-consumer-secret' }, 'POST', '/1.1/account/update_profile.json', { form: { name: 'x' } }), 401);
  expect('old timestamp', await call(alice, 'GET', '/1.1/account/verify_credentials.json', { timestamp: 1000 }), 401);
  expect('read-only write', await call(reader, 'POST', '/1.1/account/update_profile.json', { form: { name: 'x' } }), 403);
  expect('read-only read', await call(reader, 'GET', '/1.1/account/verify_credentials.json'), 200);
  const replay = signedRequest(base, alice, 'GET', '/1.1/account/verify_credentials.json');
  assert.equal((await fetch(replay.url, replay.init)).status, 200);
  assert.equal((await fetch(replay.url, replay.init)).status, 401);

  // App-only: a bearer token issued, used, refused where it may not go, invalidated.
  const issued = await basic(alice, '/oauth2/token', { grant_type: 'client_credentials' });
  assert.equal(issued.status, 200);
  const bearer: string = issued.json.access_token;
  secrets.set('bearer token', bearer);
  const withBearer = (p: string, method = 'GET') => fetch(`${base}${p}`, { method, headers: { authorization: `Bearer ${bearer}` } }).then(async (r) => ({ status: r.status, text: await r.text() }));
  expect('bearer users/show', await withBearer('/1.1/users/show.json?screen_name=alice'), 200);
  expect('bearer rate_limit_status', await withBearer('/1.1/application/rate_limit_status.json'), 200);
  expect('bearer on a user route', await withBearer('/1.1/account/verify_credentials.json'), 403);
  expect('bearer on a write', await withBearer('/1.1/account/update_profile.json', 'POST'), 403);
  expect('wrong Basic', await basic({ ...alice, consumerSecret: 'nope-not-it' }, '/oauth2/token', { grant_type: 'client_credentials' }), 403);
  expect('invalidate_token', await basic(alice, '/oauth2/invalidate_token', { access_token: bearer }), 200);
  expect('invalidated bearer', await withBearer('/1.1/users/show.json?screen_name=alice'), 401);

  // Revoked access token.
  await deps.accounts.revokeToken(reader.token);
  expect('revoked token', await call(reader, 'GET', '/1.1/account/verify_credentials.json'), 401);

  const log = lines.join('');
  // The session was logged at all: trace-level request lines are there.
  assert.match(log, /"path":"\/1\.1\/account\/update_profile\.json"/);
  // One access line per request, plus the plugins' trace lines (multipart logs its options).
  const completed = lines.filter((l) => l.includes('"msg":"request completed"')).length;
  assert.ok(completed >= 20, `only ${completed} request lines among ${lines.length}`);
  for (const [what, value] of secrets) {
    for (const form of new Set([value, encodeURIComponent(value), value.replace(/=+$/, '')])) {
      assert.equal(log.includes(form), false, `the log contains the ${what} (${form})`);
    }
  }
  assert.doesNotMatch(log, /OAuth oauth_|Bearer AAAA|Basic [A-Za-z0-9+/]{8}/);
});
