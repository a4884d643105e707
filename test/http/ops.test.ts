// GET /healthz, /readyz and /metrics through HTTP. The metrics test makes real signed requests
// (oauth-1.0a) of every kind it then looks for, and checks the counters show exactly those.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SCALED, startTestServer, type Credentials, type TestServer } from '../helpers/server.ts';
import { signedFetch } from '../helpers/signing.ts';
import { fixture } from '../fixtures/images.ts';
import { rateKey, WINDOW_MS } from '../../src/http/plugins/rate-limit.ts';

const TOKEN = 'metrics-token-0123456789abcdef';
const VC = '/1.1/account/verify_credentials.json';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format: one sample per line, comments skipped. */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Samples of one metric whose labels include the given ones. */
function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = find(samples, name, labels);
  assert.ok(found.length <= 1, `one sample expected for ${name} ${JSON.stringify(labels)}, got ${found.length}`);
  return found[0]?.value;
}

async function scrape(server: TestServer, token = TOKEN) {
  const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), text, samples: res.status === 200 ? parse(text) : [] };
}

describe('operations endpoints', () => {
  let server: TestServer;
  let other: TestServer;
  let alice: Credentials;
  let bob: Credentials;

  before(async () => {
    server = await startTestServer({ metricsToken: TOKEN });
    other = await startTestServer({});
    alice = await server.account('alice');
    bob = await server.account('bob');
  });
  after(async () => {
    await server?.close();
    await other?.close();
  });

  test('GET /healthz answers 200 without credentials', async () => {
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  test('GET /readyz lists every configured store as reachable', async () => {
    const res = await fetch(`${server.url}/readyz`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean; ms: number }> };
    assert.equal(body.status, 'ok');
    assert.deepEqual(Object.keys(body.checks).sort(), SCALED ? ['blobs', 'database', 'redis'] : ['blobs', 'database']);
    for (const c of Object.values(body.checks)) {
      assert.equal(c.ok, true);
      assert.equal(typeof c.ms, 'number');
    }
  });

  test('GET /metrics is off without PLUMAGE_METRICS_TOKEN, and wants the bearer token when on', async () => {
    const off = await fetch(`${other.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(off.status, 404);
    assert.deepEqual(await off.json(), { errors: [{ code: 34, message: 'Sorry, that page does not exist.' }] });
    for (const headers of [{} as Record<string, string>, { authorization: `Bearer ${TOKEN}x` }, { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }, { authorization: 'Bearer' }]) {
      const res = await fetch(`${server.url}/metrics`, { headers });
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="plumage-metrics"');
      assert.deepEqual(await res.json(), { errors: [{ code: 89, message: 'Invalid or expired token.' }] });
    }
  });

  test('after a success, a bad signature, a rate-limited call and an upload, the metrics show exactly those', async () => {
    const ok = await signedFetch(server.url, alice, 'GET', VC);
    assert.equal(ok.status, 200, ok.text);
    const bad = await signedFetch(server.url, alice, 'GET', VC, { tokenSecret: `${alice.tokenSecret}x` });
    assert.equal(bad.status, 401);
    assert.equal(bad.json.errors[0].code, 32);
    // Bob has used up his verify_credentials window (75), so his next call is refused.
    for (let i = 0; i < 75; i++) await server.deps.rateLimiter.hit(rateKey(bob.token, VC), WINDOW_MS);
    const limited = await signedFetch(server.url, bob, 'GET', VC);
    assert.equal(limited.status, 429);
    assert.equal(limited.json.errors[0].code, 88);
    const image = fixture('progressive.jpg');
    const form = new FormData();
    form.append('image', new Blob([image]));
    const upload = await signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile_image.json', { body: form });
    assert.equal(upload.status, 200, upload.text);
    // Query strings and unknown paths must not become labels.
    const secretQuery = await signedFetch(server.url, alice, 'GET', '/1.1/users/show.json', { query: { screen_name: 'bob', hunter2: 'sekrit-value' } });
    assert.equal(secretQuery.status, 200, secretQuery.text);
    assert.equal((await fetch(`${server.url}/no/such/place-sekrit?token=sekrit-too`)).status, 404);

    const m = await scrape(server);
    assert.equal(m.status, 200);
    assert.match(m.type ?? '', /^text\/plain; version=0\.0\.4/);
    const s = m.samples;

    const req = (status: string, route = VC, method = 'GET') => ({ method, route, status });
    assert.equal(value(s, 'plumage_http_requests_total', req('200')), 1);
    assert.equal(value(s, 'plumage_http_requests_total', req('401')), 1);
    assert.equal(value(s, 'plumage_http_requests_total', req('429')), 1);
    assert.equal(value(s, 'plumage_http_requests_total', req('200', '/1.1/account/update_profile_image.json', 'POST')), 1);
    assert.equal(value(s, 'plumage_http_requests_total', req('200', '/1.1/users/show.json')), 1);
    assert.equal(value(s, 'plumage_http_requests_total', req('404', '(unmatched)')), 1);
    // The earlier tests' requests are there too, under their patterns; nothing else on the API.
    const apiRoutes = new Set(find(s, 'plumage_http_requests_total').map((x) => x.labels.route).filter((r) => r!.startsWith('/1.1/')));
    assert.deepEqual([...apiRoutes].sort(), ['/1.1/account/update_profile_image.json', VC, '/1.1/users/show.json']);
    for (const status of ['200', '401', '429']) {
      const l = req(status);
      assert.equal(value(s, 'plumage_http_request_duration_seconds_count', l), 1);
      assert.equal(value(s, 'plumage_http_request_duration_seconds_bucket', { ...l, le: '+Inf' }), 1);
      assert.ok(value(s, 'plumage_http_request_duration_seconds_sum', l)! > 0);
    }
    assert.doesNotMatch(m.text, /sekrit|hunter2|no\/such/);

    assert.deepEqual(find(s, 'plumage_auth_failures_total').map((x) => [x.labels.code, x.value]), [['32', 1]]);
    assert.deepEqual(find(s, 'plumage_rate_limit_rejections_total').map((x) => [x.labels.endpoint, x.value]), [[VC, 1]]);

    assert.equal(value(s, 'plumage_image_processing_seconds_count', { kind: 'avatar' }), 1);
    assert.ok(value(s, 'plumage_image_processing_seconds_sum', { kind: 'avatar' })! > 0);
    assert.equal(find(s, 'plumage_image_processing_seconds_count').length, 1, 'no background or banner was processed');
    assert.equal(value(s, 'plumage_upload_bytes_count', { kind: 'avatar' }), 1);
    assert.equal(value(s, 'plumage_upload_bytes_sum', { kind: 'avatar' }), image.length);

    // Default process metrics.
    assert.ok(value(s, 'process_cpu_user_seconds_total')! > 0);
    assert.ok(value(s, 'nodejs_heap_size_total_bytes')! > 0);

    // A second scrape counts the first one; the other app's registry saw none of this.
    const again = await scrape(server);
    assert.equal(value(again.samples, 'plumage_http_requests_total', req('200', '/metrics')), 1);
    const vcOther = await signedFetch(other.url, await other.account('carol'), 'GET', VC);
    assert.equal(vcOther.status, 200);
    assert.equal(value(again.samples, 'plumage_http_requests_total', req('200')), 1);
  });
});
