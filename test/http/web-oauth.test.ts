// The OAuth 1.0a three-legged flow end to end, with real clients and real Chromium clicking
// the buttons: tweepy (oob + PIN, over HTTPS as tweepy requires), the oauth-1.0a package
// (callback URL, x_auth_access_type=read, Sign in with Plumage, Cancel, expiry), and
// twitter-api-v2 (generateAuthLink + login).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import OAuth from 'oauth-1.0a';
import { TwitterApi } from 'twitter-api-v2';
import { startTestServer, twitterApiV2, twitterCode, type Credentials, type TestServer } from '../helpers/server.ts';
import { PYTHON, pythonEnv, requireTweepy, startTlsTestServer, type TlsTestServer } from '../helpers/script-clients.ts';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/browser.ts';
import { WebAuthService } from '../../src/web/web-auth.service.ts';
import { WebRepository } from '../../src/web/web.repository.ts';
import { UsersRepository } from '../../src/storage/db/users.repository.ts';
import { ManualClock } from '../../src/clock.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const PASSWORD = 'a long enough password';

async function userWithPassword(server: TestServer, screenName: string) {
  const { deps } = server;
  const user = await deps.accounts.addUser({ screenName });
  await new WebAuthService(new WebRepository(deps.db), new UsersRepository(deps.db), deps.rateLimiter, deps.clock).setPassword(screenName, PASSWORD);
  return user;
}

/** Signs a request to the OAuth endpoints with the oauth-1.0a package; the parameters go in the body. */
async function oauthPost(server: TestServer, path: string, consumer: { key: string; secret: string }, form: Record<string, string>, token?: { key: string; secret: string }, clock?: ManualClock) {
  const oauth = new OAuth({
    consumer,
    signature_method: 'HMAC-SHA1',
    hash_function: (base, key) => crypto.createHmac('sha1', key).update(base).digest('base64'),
  });
  if (clock) oauth.getTimeStamp = () => Math.floor(clock.now() / 1000);
  const url = `${server.url}${path}`;
  const auth = oauth.authorize({ url, method: 'POST', data: form }, token);
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: oauth.toHeader(auth).Authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), text, form: new URLSearchParams(text) };
}

/** A local "web application" that receives the OAuth callback. */
async function callbackServer(): Promise<{ url: string; hits: URL[]; close(): Promise<void> }> {
  const hits: URL[] = [];
  const srv = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    // Chromium also asks the callback's origin for /favicon.ico; only callbacks count.
    if (u.pathname.startsWith('/oauth/')) hits.push(u);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('callback received');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
  return { url, hits, close: () => new Promise((r) => srv.close(() => r())) };
}

test('tweepy OAuth1UserHandler, oob: request token, Allow in Chromium, PIN, access token, verify_credentials; then Revoke in the browser', async () => {
  await requireTweepy();
  let tls: TlsTestServer | undefined;
  let browser: TestBrowser | undefined;
  const child = { proc: undefined as ReturnType<typeof spawn> | undefined };
  try {
    tls = await startTlsTestServer('plumage-web-oauth-');
    const { server, cert, agent } = tls;
    const bob = await userWithPassword(server, 'bob');
    const app = await server.deps.accounts.addApp('Tweepy Desk', 'read-write');

    const proc = spawn(PYTHON, [path.join(here, 'tweepy_oauth_flow.py'), `127.0.0.1:${server.port}`, app.consumerKey, app.consumerSecret], {
      env: pythonEnv({ REQUESTS_CA_BUNDLE: cert }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.proc = proc;
    let stderr = '';
    proc.stderr!.on('data', (d) => (stderr += String(d)));
    const lines = readline.createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
    const nextJson = async () => {
      const r = await lines.next();
      assert.ok(!r.done, `tweepy script ended early: ${stderr}`);
      const o = JSON.parse(r.value as string);
      assert.equal(o.error, undefined, `${o.error}\n${o.traceback}`);
      return o;
    };

    const first = await nextJson();
    const authorizeUrl = new URL(first.authorize_url);
    assert.equal(authorizeUrl.pathname, '/oauth/authorize');
    assert.equal(first.request_token.oauth_callback_confirmed, 'true');

    browser = await launchBrowser({ ignoreHTTPSErrors: true });
    const { page } = browser;
    // Not signed in: the authorize link goes through the sign-in form and comes back.
    await page.goto(authorizeUrl.toString());
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.getByLabel('Screen name').fill('bob');
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForURL(/\/oauth\/authorize\?oauth_token=/), page.getByRole('button', { name: 'Sign in' }).click()]);
    // Secure session cookie on an https server.
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'plumage_session');
    assert.ok(cookie, 'session cookie set');
    assert.deepEqual({ secure: cookie.secure, httpOnly: cookie.httpOnly, sameSite: cookie.sameSite }, { secure: true, httpOnly: true, sameSite: 'Lax' });

    assert.match(await page.locator('h1').innerText(), /Authorize Tweepy Desk to use your account\?/);
    assert.match(await page.locator('main').innerText(), /Update your profile/);
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Authorize app' }).click()]);
    const pin = (await page.locator('#oauth_pin').innerText()).trim();
    assert.match(pin, /^\d{7}$/);

    proc.stdin!.write(`${pin}\n`);
    const second = await nextJson();
    assert.equal(second.id_str, bob.id);
    assert.equal(second.screen_name, 'bob');
    const issued = await new (await import('../../src/storage/db/apps.repository.ts')).TokensRepository(server.deps.db).find(second.token);
    assert.deepEqual({ app: issued?.appId, user: issued?.userId, level: issued?.accessLevel }, { app: app.id, user: bob.id, level: 'read-write' });

    // The application shows on the Applications page; Revoke ends the token.
    await page.goto(`${server.url}/settings/applications`);
    assert.match(await page.locator('.apps').innerText(), /Tweepy Desk[\s\S]*Read and write/);
    await Promise.all([page.waitForURL(/revoked=/), page.getByRole('button', { name: 'Revoke access of Tweepy Desk' }).click()]);
    assert.match(await page.locator('.notice').innerText(), /Access revoked for Tweepy Desk/);
    const client = new TwitterApi({ appKey: app.consumerKey, appSecret: app.consumerSecret, accessToken: second.token, accessSecret: second.secret }, { httpAgent: agent });
    (client.v1 as unknown as { setPrefix(p: string): void }).setPrefix(`${server.url}/1.1/`);
    assert.equal(await twitterCode(client.v1.verifyCredentials()), '401/89');
    assert.deepEqual(browser.problems, []);
  } finally {
    child.proc?.kill('SIGKILL');
    await browser?.close();
    await tls?.close();
  }
});

test('callback URL flow with oauth-1.0a: read-only access, Sign in with Plumage skips the question the second time, Cancel, wrong verifier, expiry', async () => {
  const clock = new ManualClock(Date.now());
  const server = await startTestServer({}, { clock });
  const cb = await callbackServer();
  const browser = await launchBrowser();
  try {
    const carol = await userWithPassword(server, 'carol');
    const app = await server.deps.accounts.addApp('Web Gallery', 'read-write');
    await new WebRepository(server.deps.db).setCallback(app.id, `${cb.url}/oauth/`);
    const consumer = { key: app.consumerKey, secret: app.consumerSecret };

    // Refusals at the first leg.
    const missing = await oauthPost(server, '/oauth/request_token', consumer, {});
    assert.equal(missing.status, 400);
    assert.equal(JSON.parse(missing.text).errors[0].code, 38);
    const foreign = await oauthPost(server, '/oauth/request_token', consumer, { oauth_callback: 'https://evil.example/oauth/cb' });
    assert.equal(foreign.status, 403);
    assert.equal(JSON.parse(foreign.text).errors[0].code, 415);
    const badSecret = await oauthPost(server, '/oauth/request_token', { key: app.consumerKey, secret: 'wrong' }, { oauth_callback: 'oob' });
    assert.equal(badSecret.status, 401);
    assert.equal(JSON.parse(badSecret.text).errors[0].code, 32);

    const rt = await oauthPost(server, '/oauth/request_token', consumer, { oauth_callback: `${cb.url}/oauth/done?state=xyz`, x_auth_access_type: 'read' });
    assert.equal(rt.status, 200, rt.text);
    assert.equal(rt.form.get('oauth_callback_confirmed'), 'true');
    const requestToken = { key: rt.form.get('oauth_token')!, secret: rt.form.get('oauth_token_secret')! };

    const { page } = browser;
    await signIn(page, server.url, 'carol', PASSWORD, '/settings/design');
    await page.goto(`${server.url}/oauth/authenticate?oauth_token=${requestToken.key}`);
    const main = await page.locator('main').innerText();
    assert.match(main, /Authorize Web Gallery/);
    assert.doesNotMatch(main, /Update your profile/, 'read access only');
    await Promise.all([page.waitForURL(`${cb.url}/**`), page.getByRole('button', { name: 'Authorize app' }).click()]);
    const hit = cb.hits.at(-1)!;
    assert.equal(hit.pathname, '/oauth/done');
    assert.equal(hit.searchParams.get('state'), 'xyz');
    assert.equal(hit.searchParams.get('oauth_token'), requestToken.key);
    const verifier = hit.searchParams.get('oauth_verifier')!;
    assert.ok(verifier);

    // Allowing twice does nothing more: the request token is decided.
    const again = await fetch(`${server.url}/oauth/authorize?oauth_token=${requestToken.key}`, { headers: { accept: 'text/html' } });
    assert.equal(again.status, 400);

    const at = await oauthPost(server, '/oauth/access_token', consumer, { oauth_verifier: verifier }, requestToken);
    assert.equal(at.status, 200, at.text);
    assert.deepEqual([...at.form.keys()], ['oauth_token', 'oauth_token_secret', 'user_id', 'screen_name']);
    assert.equal(at.form.get('user_id'), carol.id);
    assert.equal(at.form.get('screen_name'), 'carol');
    const creds: Credentials = { consumerKey: app.consumerKey, consumerSecret: app.consumerSecret, token: at.form.get('oauth_token')!, tokenSecret: at.form.get('oauth_token_secret')!, userId: carol.id, screenName: 'carol' };
    const v1 = twitterApiV2(server, creds);
    assert.equal((await v1.verifyCredentials()).id_str, carol.id);
    assert.equal(await twitterCode(v1.updateAccountProfile({ name: 'not allowed' })), '403/261');
    // A request token is used once.
    const replay = await oauthPost(server, '/oauth/access_token', consumer, { oauth_verifier: verifier }, requestToken);
    assert.equal(replay.status, 401);
    assert.equal(JSON.parse(replay.text).errors[0].code, 89);

    // Sign in with Plumage again: already allowed, so straight back to the callback, same token.
    const rt2 = await oauthPost(server, '/oauth/request_token', consumer, { oauth_callback: `${cb.url}/oauth/done`, x_auth_access_type: 'read' });
    const rt2Token = { key: rt2.form.get('oauth_token')!, secret: rt2.form.get('oauth_token_secret')! };
    await page.goto(`${server.url}/oauth/authenticate?oauth_token=${rt2Token.key}`);
    assert.ok(page.url().startsWith(`${cb.url}/oauth/done?`), page.url());
    const at2 = await oauthPost(server, '/oauth/access_token', consumer, { oauth_verifier: cb.hits.at(-1)!.searchParams.get('oauth_verifier')! }, rt2Token);
    assert.equal(at2.form.get('oauth_token'), creds.token);

    // Cancel: the callback hears denied=<request token>, and the token is gone.
    const rt3 = await oauthPost(server, '/oauth/request_token', consumer, { oauth_callback: `${cb.url}/oauth/done` });
    const rt3Token = { key: rt3.form.get('oauth_token')!, secret: rt3.form.get('oauth_token_secret')! };
    await page.goto(`${server.url}/oauth/authorize?oauth_token=${rt3Token.key}`);
    await Promise.all([page.waitForURL(`${cb.url}/**`), page.getByRole('button', { name: 'Cancel' }).click()]);
    assert.equal(cb.hits.at(-1)!.searchParams.get('denied'), rt3Token.key);
    const denied = await oauthPost(server, '/oauth/access_token', consumer, { oauth_verifier: 'anything' }, rt3Token);
    assert.equal(denied.status, 401);
    assert.equal(JSON.parse(denied.text).errors[0].code, 89);

    // A wrong verifier burns the request token: no second guess.
    const rt4 = await oauthPost(server, '/oauth/request_token', consumer, { oauth_callback: 'oob' });
    const rt4Token = { key: rt4.form.get('oauth_token')!, secret: rt4.form.get('oauth_token_secret')! };
    await page.goto(`${server.url}/oauth/authorize?oauth_token=${rt4Token.key}`);
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Authorize app' }).click()]);
    const pin = (await page.locator('#oauth_pin').innerText()).trim();
    const wrongPin = String((Number(pin) + 1) % 10_000_000).padStart(7, '0');
    const wrong = await oauthPost(server, '/oauth/access_token', consumer, { oauth_verifier: wrongPin }, rt4Token);
    assert.equal(wrong.status, 401);
    assert.equal(JSON.parse(wrong.text).errors[0].code, 32);
    const late = await oauthPost(server, '/oauth/access_token', consumer, { oauth_verifier: pin }, rt4Token);
    assert.equal(late.status, 401);
    assert.equal(JSON.parse(late.text).errors[0].code, 89);

    // Request tokens expire after 15 minutes.
    const rt5 = await oauthPost(server, '/oauth/request_token', consumer, { oauth_callback: 'oob' }, undefined, clock);
    const rt5Token = { key: rt5.form.get('oauth_token')!, secret: rt5.form.get('oauth_token_secret')! };
    clock.advance(16 * 60 * 1000);
    await page.goto(`${server.url}/oauth/authorize?oauth_token=${rt5Token.key}`);
    assert.match(await page.locator('h1').innerText(), /not valid/);
    const expired = await oauthPost(server, '/oauth/access_token', consumer, { oauth_verifier: '0000000' }, rt5Token, clock);
    assert.equal(expired.status, 401);
    assert.equal(JSON.parse(expired.text).errors[0].code, 89);
    assert.deepEqual(browser.problems.filter((p) => !/status of 400/.test(p)), []);
  } finally {
    await browser.close();
    await cb.close();
    await server.close();
  }
});

test('twitter-api-v2: generateAuthLink, Allow in Chromium, login(oauth_verifier), then the new client calls verify_credentials', async () => {
  const server = await startTestServer();
  const cb = await callbackServer();
  const browser = await launchBrowser();
  try {
    const hana = await userWithPassword(server, 'hana');
    const app = await server.deps.accounts.addApp('Node Gallery', 'read-write');
    await new WebRepository(server.deps.db).setCallback(app.id, `${cb.url}/oauth/`);
    // twitter-api-v2 builds https://api.x.com/… itself; its documented plugin hook sends every
    // request to the test server instead (what DNS would do for a self-hosted api.x.com).
    const toPlumage = {
      onBeforeRequestConfig({ params }: { params: { url: string; forceParseMode?: string } }) {
        // The library reads oauth/* answers as a form only at api.x.com; keep that behaviour.
        if (params.url.startsWith('https://api.x.com/oauth/')) params.forceParseMode = 'url';
        params.url = params.url.replace(/^https:\/\/api\.x\.com/, server.url);
      },
    };
    const settings = { httpAgent: new http.Agent(), plugins: [toPlumage] };
    const appClient = new TwitterApi({ appKey: app.consumerKey, appSecret: app.consumerSecret }, settings);
    const link = await appClient.generateAuthLink(`${cb.url}/oauth/back`, { linkMode: 'authorize' });
    assert.equal(link.oauth_callback_confirmed, 'true');
    const authorizeUrl = link.url.replace(/^https:\/\/api\.x\.com/, server.url);

    const { page } = browser;
    await signIn(page, server.url, 'hana', PASSWORD, '/settings/design');
    await page.goto(authorizeUrl);
    assert.match(await page.locator('h1').innerText(), /Authorize Node Gallery/);
    await Promise.all([page.waitForURL(`${cb.url}/**`), page.getByRole('button', { name: 'Authorize app' }).click()]);
    const hit = cb.hits.at(-1)!;
    assert.equal(hit.pathname, '/oauth/back');
    assert.equal(hit.searchParams.get('oauth_token'), link.oauth_token);

    const requestClient = new TwitterApi(
      { appKey: app.consumerKey, appSecret: app.consumerSecret, accessToken: link.oauth_token, accessSecret: link.oauth_token_secret },
      settings,
    );
    const login = await requestClient.login(hit.searchParams.get('oauth_verifier')!);
    assert.equal(login.userId, hana.id);
    assert.equal(login.screenName, 'hana');
    const me = await login.client.v1.verifyCredentials();
    assert.equal(me.id_str, hana.id);
    assert.equal(me.screen_name, 'hana');
    assert.deepEqual(browser.problems, []);
  } finally {
    await browser.close();
    await cb.close();
    await server.close();
  }
});
