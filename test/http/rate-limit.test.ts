// Twitter's rate-limit answers: headers on every limited response, 429 / 88 past the ceiling,
// per access token and endpoint, a new window after 15 minutes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, twitterApiV2 } from '../helpers/server.ts';
import { signedFetch } from '../helpers/signing.ts';
import { ManualClock } from '../../src/clock.ts';

test('verify_credentials allows 75 per 15 minutes per token, then 429 / 88 until the window resets', async () => {
  const clock = new ManualClock(Date.now());
  const server = await startTestServer({}, { clock });
  try {
    const alice = await server.account('alice');
    const bob = await server.account('bob');
    const vc = (who: typeof alice, path = '/1.1/account/verify_credentials.json') =>
      signedFetch(server.url, who, 'GET', path, { timestamp: Math.floor(clock.now() / 1000) });
    const first = await vc(alice);
    assert.equal(first.headers.get('x-rate-limit-limit'), '75');
    assert.equal(first.headers.get('x-rate-limit-remaining'), '74');
    const reset = Number(first.headers.get('x-rate-limit-reset'));
    assert.ok(Math.abs(reset - (clock.now() / 1000 + 900)) <= 1, `reset ${reset}`);
    // Both spellings of the path count against one limit.
    for (let i = 2; i <= 75; i++) {
      const r = await vc(alice, i % 2 ? '/1.1/account/verify_credentials' : '/1.1/account/verify_credentials.json');
      assert.equal(r.status, 200, `request ${i}`);
    }
    const over = await vc(alice);
    assert.equal(over.status, 429);
    assert.deepEqual(over.json, { errors: [{ code: 88, message: 'Rate limit exceeded' }] });
    assert.equal(over.headers.get('x-rate-limit-remaining'), '0');
    // Another token and another endpoint have their own counters.
    assert.equal((await vc(bob)).status, 200);
    const show = await signedFetch(server.url, alice, 'GET', '/1.1/users/show.json', { query: { screen_name: 'bob' }, timestamp: Math.floor(clock.now() / 1000) });
    assert.equal(show.status, 200);
    assert.equal(show.headers.get('x-rate-limit-limit'), '900');
    // A refused request is not counted against anyone: authentication comes first.
    clock.advance(15 * 60 * 1000 + 1000);
    const again = await vc(alice);
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('x-rate-limit-remaining'), '74');
  } finally {
    await server.close();
  }
});

test('application/rate_limit_status: every limited GET, by family, counting only itself', async () => {
  const server = await startTestServer();
  try {
    const alice = await server.account('alice');
    for (let i = 0; i < 3; i++) await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json');
    const v1 = twitterApiV2(server, alice);
    const all = await v1.rateLimitStatuses();
    assert.deepEqual(all.rate_limit_context, { access_token: alice.token });
    assert.deepEqual(Object.keys(all.resources).sort(), ['account', 'application', 'users']);
    const vc = all.resources.account!['/account/verify_credentials']!;
    assert.equal(vc.limit, 75);
    assert.equal(vc.remaining, 72);
    assert.ok(Math.abs(vc.reset - (Date.now() / 1000 + 900)) < 5);
    assert.deepEqual(all.resources.users!['/users/show/:id'], { limit: 900, remaining: 900, reset: all.resources.users!['/users/show/:id']!.reset });
    assert.equal(all.resources.users!['/users/profile_banner']!.limit, 180);
    assert.equal(all.resources.application!['/application/rate_limit_status']!.remaining, 179);
    // resources= picks families; the call counts against its own limit only.
    const some = await v1.rateLimitStatuses('users', 'nothing' as 'users');
    assert.deepEqual(Object.keys(some.resources), ['users']);
    const again = await signedFetch(server.url, alice, 'GET', '/1.1/application/rate_limit_status.json', { query: { resources: 'application,account' } });
    assert.equal(again.json.resources.application['/application/rate_limit_status'].remaining, 177);
    assert.equal(again.json.resources.account['/account/verify_credentials'].remaining, 72);
    assert.equal(again.headers.get('x-rate-limit-remaining'), '177');
  } finally {
    await server.close();
  }
});

test('PLUMAGE_RATE_LIMITS overrides: a lower ceiling for one GET and for every POST, listed by rate_limit_status', async () => {
  const server = await startTestServer({ rateLimits: 'account/verify_credentials=3,post=2' });
  try {
    const alice = await server.account('alice');
    for (let i = 1; i <= 3; i++) {
      const r = await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json');
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-rate-limit-limit'), '3');
      assert.equal(r.headers.get('x-rate-limit-remaining'), String(3 - i));
    }
    const over = await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json');
    assert.equal(over.status, 429);
    assert.deepEqual(over.json, { errors: [{ code: 88, message: 'Rate limit exceeded' }] });
    // users/show keeps its default.
    const show = await signedFetch(server.url, alice, 'GET', '/1.1/users/show.json', { query: { screen_name: 'alice' } });
    assert.equal(show.headers.get('x-rate-limit-limit'), '900');
    const colors = () => signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile_colors.json', { query: { profile_link_color: '0000FF' } });
    assert.equal((await colors()).headers.get('x-rate-limit-limit'), '2');
    assert.equal((await colors()).status, 200);
    assert.equal((await colors()).status, 429);
    const status = await signedFetch(server.url, alice, 'GET', '/1.1/application/rate_limit_status.json');
    assert.equal(status.json.resources.account['/account/verify_credentials'].limit, 3);
    assert.equal(status.json.resources.account['/account/verify_credentials'].remaining, 0);
  } finally {
    await server.close();
  }
});

test('PLUMAGE_RATE_LIMITS=off: no ceiling and no x-rate-limit-* headers', async () => {
  const server = await startTestServer({ rateLimits: 'off' });
  try {
    const alice = await server.account('alice');
    for (let i = 1; i <= 80; i++) {
      const r = await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json');
      assert.equal(r.status, 200, `request ${i}`);
      assert.equal(r.headers.get('x-rate-limit-limit'), null);
      assert.equal(r.headers.get('x-rate-limit-remaining'), null);
    }
  } finally {
    await server.close();
  }
});
