// Twitter's rate-limit answers: headers on every limited response, 429 / 88 past the ceiling,
// per access token and endpoint, a new window after 15 minutes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../helpers/server.ts';
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
