// OAuth 1.0a user context through HTTP: every answer of issue #2 item 5, with requests signed
// by twitter-api-v2 and by the oauth-1.0a package.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { ApiResponseError, TwitterApi } from 'twitter-api-v2';
import { startTestServer, twitterApiV2, twitterCode, type Credentials, type TestServer } from '../helpers/server.ts';
import { signedFetch, signedRequest } from '../helpers/signing.ts';
import { ManualClock } from '../../src/clock.ts';

function assertTwitterError(r: { status: number; json: any }, status: number, code: number, message?: string) {
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.equal(r.json?.errors?.[0]?.code, code, JSON.stringify(r.json));
  if (message !== undefined) assert.equal(r.json.errors[0].message, message);
}

describe('OAuth 1.0a user context', () => {
  let server: TestServer;
  let alice: Credentials;
  let reader: Credentials;

  before(async () => {
    server = await startTestServer();
    alice = await server.account('alice');
    reader = await server.account('reader', { readOnly: true });
  });
  after(() => server.close());

  test('twitter-api-v2 authenticates and gets 200 with x-access-level and an accurate Date', async () => {
    const v1 = twitterApiV2(server, alice);
    const res = await v1.get('account/verify_credentials.json', {}, { fullResponse: true });
    assert.equal(res.data.screen_name, 'alice');
    assert.equal(res.headers['x-access-level'], 'read-write');
    const date = Date.parse(String(res.headers['date']));
    assert.ok(Math.abs(date - Date.now()) < 5000, `Date header ${res.headers['date']}`);
    assert.match(String(res.headers['content-type']), /^application\/json; ?charset=utf-8$/);
  });

  test('the path without .json works too (the seed spells it so)', async () => {
    const r = await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials');
    assert.equal(r.status, 200);
    assert.equal(r.json.screen_name, 'alice');
  });

  test('header parsing is lenient: "," or ", " separators, any order', async () => {
    for (const sep of [',', ', ', ' ,  ']) {
      const { url, init } = signedRequest(server.url, alice, 'GET', '/1.1/account/verify_credentials.json');
      const h = (init.headers as Record<string, string>).authorization!;
      const params = h.replace(/^OAuth /, '').split(', ').reverse();
      const res = await fetch(url, { ...init, headers: { authorization: `oauth ${params.join(sep)}` } });
      assert.equal(res.status, 200, `separator "${sep}"`);
    }
  });

  test('oauth_* parameters in the query string (python-twitter-tools style)', async () => {
    const r = await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json', { oauthInQuery: true, query: { include_entities: 'false' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.entities, undefined);
  });

  test('oauth_* parameters in the urlencoded body', async () => {
    const { url, init } = signedRequest(server.url, alice, 'POST', '/1.1/account/update_profile.json', { form: { location: 'Body land' } });
    // Move the header's parameters into the body, as RFC 5849 §3.5.2 allows.
    const header = (init.headers as Record<string, string>).authorization!;
    const oauthPairs = header.replace(/^OAuth /, '').split(', ').map((p) => p.replace(/"/g, ''));
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `${init.body}&${oauthPairs.join('&')}`,
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(((await res.json()) as any).location, 'Body land');
  });

  test('no credentials → 400 / 215', async () => {
    const res = await fetch(`${server.url}/1.1/account/verify_credentials.json`);
    assertTwitterError({ status: res.status, json: await res.json() }, 400, 215, 'Bad Authentication data.');
  });

  test('malformed Authorization header → 400 / 215', async () => {
    for (const h of ['OAuth garbage"', 'OAuth oauth_consumer_key="a', 'Basic dXNlcjpwYXNz', 'OAuth oauth_consumer_key="x"']) {
      const res = await fetch(`${server.url}/1.1/account/verify_credentials.json`, { headers: { authorization: h } });
      assertTwitterError({ status: res.status, json: await res.json() }, 400, 215);
    }
  });

  test('unknown consumer key → 401 / 32', async () => {
    const r = await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json', { consumerKey: 'nosuchconsumer' });
    assertTwitterError(r, 401, 32, 'Could not authenticate you.');
  });

  test('wrong consumer secret or token secret → 401 / 32, from twitter-api-v2 too', async () => {
    assertTwitterError(await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json', { consumerSecret: 'wrong' }), 401, 32);
    assertTwitterError(await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json', { tokenSecret: 'wrong' }), 401, 32);
    const v1 = twitterApiV2(server, { ...alice, consumerSecret: 'wrong' });
    await assert.rejects(v1.verifyCredentials(), (e: unknown) => e instanceof ApiResponseError && e.code === 401 && (e.errors?.[0] as { code?: number } | undefined)?.code === 32);
  });

  test('a signature over other parameters than sent → 401 / 32', async () => {
    const { url, init } = signedRequest(server.url, alice, 'POST', '/1.1/account/update_profile.json', { form: { name: 'Signed' } });
    const res = await fetch(url, { ...init, body: 'name=Tampered' });
    assert.equal(res.status, 401);
    assert.equal((await server.deps.profile.byId(alice.userId)).name, 'alice');
  });

  test('unsupported signature method → 401 / 32', async () => {
    assertTwitterError(await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json', { signatureMethod: 'HMAC-SHA256' }), 401, 32);
    assertTwitterError(await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json', { signatureMethod: 'PLAINTEXT' }), 401, 32);
  });

  test('unknown or revoked token → 401 / 89', async () => {
    const r = await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json', { token: '1-nosuchtoken' });
    assertTwitterError(r, 401, 89, 'Invalid or expired token.');
    const bob = await server.account('bob');
    assert.equal((await signedFetch(server.url, bob, 'GET', '/1.1/account/verify_credentials.json')).status, 200);
    await server.deps.accounts.revokeToken(bob.token);
    assertTwitterError(await signedFetch(server.url, bob, 'GET', '/1.1/account/verify_credentials.json'), 401, 89);
  });

  test("a token used with another app's consumer key → 401 / 89", async () => {
    const r = await signedFetch(server.url, { ...alice, consumerKey: reader.consumerKey, consumerSecret: reader.consumerSecret }, 'GET', '/1.1/account/verify_credentials.json');
    assertTwitterError(r, 401, 89);
  });

  test('timestamp outside the window → 401 / 135', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const ts of [now - 301, now + 400, 0]) {
      assertTwitterError(await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json', { timestamp: ts }), 401, 135, 'Timestamp out of bounds.');
    }
    assert.equal((await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json', { timestamp: now - 200 })).status, 200);
  });

  test('a replayed request → 401 / 32; the same nonce under another token is fine', async () => {
    const { url, init } = signedRequest(server.url, alice, 'GET', '/1.1/account/verify_credentials.json', { nonce: 'replaynonce123' });
    assert.equal((await fetch(url, init)).status, 200);
    const again = await fetch(url, init);
    assertTwitterError({ status: again.status, json: await again.json() }, 401, 32);
    assert.equal((await signedFetch(server.url, reader, 'GET', '/1.1/account/verify_credentials.json', { nonce: 'replaynonce123' })).status, 200);
  });

  test('a read-only application: GET works with x-access-level read, POST → 403 / 261 and nothing changes', async () => {
    const g = await signedFetch(server.url, reader, 'GET', '/1.1/account/verify_credentials.json');
    assert.equal(g.status, 200);
    assert.equal(g.headers.get('x-access-level'), 'read');
    const p = await signedFetch(server.url, reader, 'POST', '/1.1/account/update_profile.json', { form: { name: 'Nope' } });
    assertTwitterError(p, 403, 261);
    assert.equal((await server.deps.profile.byId(reader.userId)).name, 'reader');
  });

  test('a Bearer token → 403 / 220', async () => {
    for (const path of ['/1.1/account/verify_credentials.json', '/1.1/account/update_profile.json']) {
      const res = await fetch(`${server.url}${path}`, { method: path.includes('update') ? 'POST' : 'GET', headers: { authorization: 'Bearer AAAAAAAAAAAAAAAAAAAAA%2Fabc' } });
      assertTwitterError({ status: res.status, json: await res.json() }, 403, 220);
    }
  });

  test('twitter-api-v2 sees each answer as Twitter gave it', async () => {
    const code = twitterCode;
    const carol = await server.account('carol');
    const v1 = twitterApiV2(server, carol);
    assert.equal(await code(v1.user({ screen_name: 'nobody_here' })), '404/50');
    assert.equal(await code(v1.updateAccountProfile({ name: 'x'.repeat(51) })), '403/120');
    assert.equal(await code(v1.get('statuses/home_timeline.json')), '404/34');
    assert.equal(await code(twitterApiV2(server, reader).updateAccountProfile({ name: 'x' })), '403/261');
    await server.deps.accounts.revokeToken(carol.token);
    assert.equal(await code(v1.verifyCredentials()), '401/89');
    // App-only (bearer) credentials, as twitter-api-v2 sends them.
    const bearer = new TwitterApi('AAAAAAAAAAAAAAAAAAAAAbearer', { httpAgent: new http.Agent() }).v1;
    (bearer as unknown as { setPrefix(p: string): void }).setPrefix(`${server.url}/1.1/`);
    assert.equal(await code(bearer.verifyCredentials()), '403/220');
  });

  test('oauth_version other than 1.0 → 401 / 32', async () => {
    const { url, init } = signedRequest(server.url, alice, 'GET', '/1.1/account/verify_credentials.json');
    const h = (init.headers as Record<string, string>).authorization!.replace('oauth_version="1.0"', 'oauth_version="2.0"');
    const res = await fetch(url, { headers: { authorization: h } });
    assertTwitterError({ status: res.status, json: await res.json() }, 401, 32);
  });
});

describe('base URL as the client saw it', () => {
  test('PLUMAGE_PUBLIC_URL: a request signed for the public URL verifies', async () => {
    const server = await startTestServer({ publicUrl: 'https://api.plumage.example/' });
    try {
      const a = await server.account('carol');
      const r = await signedFetch(server.url, a, 'GET', '/1.1/account/verify_credentials.json', { signedUrl: 'https://api.plumage.example' });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.profile_image_url_https, 'https://api.plumage.example/sticky/default_profile_images/default_profile_normal.png');
      // Signed for a different host: refused.
      const bad = await signedFetch(server.url, a, 'GET', '/1.1/account/verify_credentials.json', { signedUrl: 'https://evil.example' });
      assert.equal(bad.status, 401);
    } finally {
      await server.close();
    }
  });

  test('X-Forwarded-Proto/Host count only with PLUMAGE_TRUST_PROXY', async () => {
    for (const trust of [true, false]) {
      const server = await startTestServer({ trustProxy: String(trust) });
      try {
        const a = await server.account('dave');
        const r = await signedFetch(server.url, a, 'GET', '/1.1/account/verify_credentials.json', {
          signedUrl: 'https://proxy.example',
          headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'proxy.example' },
        });
        assert.equal(r.status, trust ? 200 : 401, r.text);
      } finally {
        await server.close();
      }
    }
  });

  test('PLUMAGE_REQUIRE_TLS: plain HTTP → 403 / 92', async () => {
    const server = await startTestServer({ requireTls: 'true' });
    try {
      const a = await server.account('erin');
      assertTwitterError(await signedFetch(server.url, a, 'GET', '/1.1/account/verify_credentials.json'), 403, 92, 'SSL is required');
    } finally {
      await server.close();
    }
  });

  test('the clock is injected: a server whose clock is an hour ahead refuses current timestamps', async () => {
    const clock = new ManualClock(Date.now() + 3600_000);
    const server = await startTestServer({}, { clock });
    try {
      const a = await server.account('frank');
      assertTwitterError(await signedFetch(server.url, a, 'GET', '/1.1/account/verify_credentials.json'), 401, 135);
      await assert.rejects(twitterApiV2(server, a).verifyCredentials(), (e: unknown) => e instanceof ApiResponseError && e.code === 401 && (e.errors?.[0] as { code?: number } | undefined)?.code === 135);
      clock.set(Date.now());
      assert.equal((await signedFetch(server.url, a, 'GET', '/1.1/account/verify_credentials.json')).status, 200);
    } finally {
      await server.close();
    }
  });
});
