// Security headers (issue #7, item 7) on API answers (success and error), media, and over TLS:
// nosniff, a Content-Security-Policy that lets nothing run, no framing, no referrer, no server
// banner, and HSTS only when the request came over TLS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import sharp from 'sharp';
import { startTestServer, type Credentials, type TestServer } from '../helpers/server.ts';
import { signedFetch } from '../helpers/signing.ts';
import { startTlsTestServer } from '../helpers/script-clients.ts';
import { rawRequest } from '../helpers/raw-http.ts';

let server: TestServer;
let alice: Credentials;

before(async () => {
  server = await startTestServer();
  alice = await server.account('alice');
});
after(() => server.close());

function assertCommon(h: Headers, what: string): void {
  assert.equal(h.get('x-content-type-options'), 'nosniff', what);
  assert.equal(h.get('x-frame-options'), 'DENY', what);
  assert.equal(h.get('referrer-policy'), 'no-referrer', what);
  const csp = h.get('content-security-policy') ?? '';
  assert.match(csp, /frame-ancestors 'none'/, what);
  assert.equal(h.get('x-powered-by'), null, what);
  assert.equal(h.get('server'), null, what);
}

function assertLockedDown(h: Headers, what: string): void {
  const csp = h.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/, what);
  assert.match(csp, /\bsandbox\b/, what);
}

test('API answers, successes and errors alike, carry the security headers and no HSTS over plain HTTP', async () => {
  const ok = await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json');
  assert.equal(ok.status, 200);
  const refused = await signedFetch(server.url, { ...alice, tokenSecret: 'wrong' }, 'GET', '/1.1/account/verify_credentials.json');
  assert.equal(refused.status, 401);
  const missing = await fetch(`${server.url}/1.1/statuses/update.json`, { method: 'POST' });
  assert.equal(missing.status, 404);
  for (const [what, h] of [['200', ok.headers], ['401', refused.headers], ['404', missing.headers]] as const) {
    assertCommon(h, what);
    assertLockedDown(h, what);
    assert.equal(h.get('strict-transport-security'), null, what);
  }
});

test('media (uploaded and default avatars) cannot be sniffed, framed or run as a page', async () => {
  const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#00ff00' } }).png().toBuffer();
  const form = new FormData();
  form.append('image', new Blob([png], { type: 'image/png' }), 'a.png');
  const up = await signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile_image.json', { body: form });
  assert.equal(up.status, 200, up.text);
  for (const url of [up.json.profile_image_url_https as string, up.json.profile_image_url_https.replace('_normal', '')]) {
    const res = await fetch(`${server.url}${new URL(url).pathname}`);
    assert.equal(res.status, 200, url);
    assert.match(res.headers.get('content-type') ?? '', /^image\//);
    assertCommon(res.headers, url);
    assertLockedDown(res.headers, url);
    await res.arrayBuffer();
  }
  const dflt = await fetch(`${server.url}/sticky/default_profile_images/default_profile_normal.png`);
  assert.equal(dflt.status, 200);
  assertCommon(dflt.headers, 'default avatar');
  assertLockedDown(dflt.headers, 'default avatar');
});

test('HSTS over TLS, and behind a trusted proxy that says https', async () => {
  const tls = await startTlsTestServer('plumage-hsts-');
  try {
    const headers = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
      https.get(`${tls.server.url}/1.1/nothing.json`, { agent: tls.agent }, (res) => {
        res.resume();
        resolve(res.headers);
      }).on('error', reject);
    });
    assert.match(String(headers['strict-transport-security']), /max-age=\d{7,}/);
    assert.equal(headers['x-content-type-options'], 'nosniff');
  } finally {
    await tls.close();
  }
  const proxied = await startTestServer({ trustProxy: 'true' });
  try {
    const viaProxy = await fetch(`${proxied.url}/1.1/nothing.json`, { headers: { 'x-forwarded-proto': 'https' } });
    assert.match(viaProxy.headers.get('strict-transport-security') ?? '', /max-age=/);
    const plain = await fetch(`${proxied.url}/1.1/nothing.json`);
    assert.equal(plain.headers.get('strict-transport-security'), null);
  } finally {
    await proxied.close();
  }
});

test('errors raised before routing (request timeout, oversized headers, bad URLs) are Twitter bodies too', async () => {
  const res = await fetch(`${server.url}/profile_images/${'9'.repeat(2000)}/a.png`);
  assert.equal(res.status, 404);
  assert.deepEqual(await res.json(), { errors: [{ code: 34, message: 'Sorry, that page does not exist.' }] });
  const bad = await fetch(`${server.url}/profile_images/%E0%A4%A/a.png`);
  assert.equal(bad.status, 404);
  assert.equal(((await bad.json()) as { errors: Array<{ code: number }> }).errors[0]!.code, 34);

  // Small upload limits make the header limit small (about 64 KB); a one-second timeout.
  const small = await startTestServer({ requestTimeout: '1', avatarBytes: '1000', backgroundBytes: '1000', bannerBytes: '1000' });
  try {
    const slow = await rawRequest(small.port, {
      method: 'POST',
      target: '/1.1/account/update_profile.json',
      headers: [['Content-Type', 'application/x-www-form-urlencoded']],
      body: Buffer.from('name='.padEnd(60, 'x')),
      dripEveryMs: 500,
      giveUpMs: 30_000,
    });
    assert.equal(slow.status, 408, slow.body);
    assert.deepEqual(slow.json, { errors: [{ code: 214, message: 'The request was not received in time.' }] });
    assert.ok(slow.closedByServer);
    const huge = await rawRequest(small.port, { method: 'GET', target: '/1.1/account/verify_credentials.json', headers: [['Authorization', `OAuth ${'a'.repeat(200_000)}`]] });
    assert.equal(huge.status, 431, huge.body);
    assert.equal(huge.json.errors[0].code, 193);
  } finally {
    await small.close();
  }
});
