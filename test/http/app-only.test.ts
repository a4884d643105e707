// App-only authentication (reference §5.4): oauth2/token trades consumer credentials for a
// bearer token, exactly as twitter-api-v2's appLogin() sends it; the token reads public data
// (users/show, rate_limit_status) and is refused wherever a user context is needed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { TwitterApi } from 'twitter-api-v2';
import { startTestServer, twitterCode, type Credentials, type TestServer } from '../helpers/server.ts';

function bearerClient(server: TestServer, token: string) {
  const v1 = new TwitterApi(token, { httpAgent: new http.Agent() }).v1;
  (v1 as unknown as { setPrefix(p: string): void }).setPrefix(`${server.url}/1.1/`);
  return v1;
}

/** What appLogin() does, pointed at the test server: Basic auth, grant_type in the body. */
function basicClient(server: TestServer, key: string, secret: string) {
  return new TwitterApi({ username: key, password: secret }, { httpAgent: new http.Agent() });
}

describe('app-only bearer tokens', () => {
  let server: TestServer;
  let alice: Credentials;
  before(async () => {
    server = await startTestServer();
    alice = await server.account('alice');
  });
  after(() => server.close());

  test('oauth2/token gives one bearer token per app until it is invalidated', async () => {
    const basic = basicClient(server, alice.consumerKey, alice.consumerSecret);
    const first = await basic.post(`${server.url}/oauth2/token`, { grant_type: 'client_credentials' });
    assert.equal(first.token_type, 'bearer');
    assert.match(first.access_token, /^AAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9]{90}$/);
    const again = await basic.post(`${server.url}/oauth2/token`, { grant_type: 'client_credentials' });
    assert.equal(again.access_token, first.access_token);

    const v1 = bearerClient(server, first.access_token);
    assert.equal((await v1.user({ screen_name: 'alice' })).id_str, alice.userId);
    const status = await v1.rateLimitStatuses('users');
    assert.deepEqual(status.rate_limit_context, { application: alice.consumerKey } as never);
    assert.equal(status.resources.users!['/users/show/:id']!.remaining, 899);

    const gone = await basic.post(`${server.url}/oauth2/invalidate_token`, { access_token: first.access_token });
    assert.equal(gone.access_token, first.access_token);
    assert.equal(await twitterCode(v1.user({ screen_name: 'alice' })), '401/89');
    const fresh = await basic.post(`${server.url}/oauth2/token`, { grant_type: 'client_credentials' });
    assert.notEqual(fresh.access_token, first.access_token);
  });

  test('a bearer token cannot act for a user (403 / 220); an unknown one is 401 / 89', async () => {
    const basic = basicClient(server, alice.consumerKey, alice.consumerSecret);
    const { access_token } = await basic.post(`${server.url}/oauth2/token`, { grant_type: 'client_credentials' });
    const v1 = bearerClient(server, access_token);
    assert.equal(await twitterCode(v1.verifyCredentials()), '403/220');
    assert.equal(await twitterCode(v1.updateAccountProfile({ name: 'Nope' })), '403/220');
    assert.equal(await twitterCode(v1.get('users/profile_banner.json', { screen_name: 'alice' })), '403/220');
    assert.equal((await server.deps.profile.byId(alice.userId)).name, 'alice');
    assert.equal(await twitterCode(bearerClient(server, 'AAAAAAAAAAAAAAAAAAAAAnosuchtoken').user({ screen_name: 'alice' })), '401/89');
    assert.equal(await twitterCode(bearerClient(server, '%E2%98').user({ screen_name: 'alice' })), '401/89');
  });

  test('wrong consumer credentials → 403 / 99; no grant_type → 403 / 170', async () => {
    assert.equal(await twitterCode(basicClient(server, alice.consumerKey, 'wrong').post(`${server.url}/oauth2/token`, { grant_type: 'client_credentials' })), '403/99');
    assert.equal(await twitterCode(basicClient(server, 'nosuchkey', 'x').post(`${server.url}/oauth2/token`, { grant_type: 'client_credentials' })), '403/99');
    const res = await fetch(`${server.url}/oauth2/token`, { method: 'POST' });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as any).errors[0].code, 99);
    assert.equal(await twitterCode(basicClient(server, alice.consumerKey, alice.consumerSecret).post(`${server.url}/oauth2/token`, { grant_type: 'password' })), '403/170');
    // Another app cannot invalidate this app's token.
    const bob = await server.account('bob');
    const { access_token } = await basicClient(server, alice.consumerKey, alice.consumerSecret).post(`${server.url}/oauth2/token`, { grant_type: 'client_credentials' });
    assert.equal(await twitterCode(basicClient(server, bob.consumerKey, bob.consumerSecret).post(`${server.url}/oauth2/invalidate_token`, { access_token })), '401/89');
  });
});
