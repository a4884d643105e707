// verify_credentials, users/show and update_profile through HTTP, and the v1.1 user object.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, twitterApiV2, type Credentials, type TestServer } from '../helpers/server.ts';
import { signedFetch } from '../helpers/signing.ts';

const CREATED_AT = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{2} \d{2}:\d{2}:\d{2} \+0000 \d{4}$/;

/** Every field of reference/twitter-v1.1.md §2.1 with its JSON type. */
const FIELD_TYPES: Record<string, string> = {
  id: 'number', id_str: 'string', name: 'string', screen_name: 'string', location: 'string', profile_location: 'null',
  description: 'string', url: 'string|null', entities: 'object', protected: 'boolean', followers_count: 'number',
  friends_count: 'number', listed_count: 'number', created_at: 'string', favourites_count: 'number', utc_offset: 'null',
  time_zone: 'null', geo_enabled: 'boolean', verified: 'boolean', statuses_count: 'number', lang: 'null',
  contributors_enabled: 'boolean', is_translator: 'boolean', is_translation_enabled: 'boolean',
  profile_background_color: 'string', profile_background_image_url: 'string|null', profile_background_image_url_https: 'string|null',
  profile_background_tile: 'boolean', profile_image_url: 'string', profile_image_url_https: 'string', profile_link_color: 'string',
  profile_sidebar_border_color: 'string', profile_sidebar_fill_color: 'string', profile_text_color: 'string',
  profile_use_background_image: 'boolean', has_extended_profile: 'boolean', default_profile: 'boolean',
  default_profile_image: 'boolean', following: 'boolean', follow_request_sent: 'boolean', notifications: 'boolean',
  translator_type: 'string', withheld_in_countries: 'object',
};

function typeOf(v: unknown): string {
  return v === null ? 'null' : typeof v;
}

function assertError(r: { status: number; json: any }, status: number, code: number, message?: string | RegExp) {
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.deepEqual(Object.keys(r.json), ['errors']);
  assert.equal(r.json.errors[0].code, code, JSON.stringify(r.json));
  if (typeof message === 'string') assert.equal(r.json.errors[0].message, message);
  else if (message) assert.match(r.json.errors[0].message, message);
}

describe('the v1.1 user object', () => {
  let server: TestServer;
  let alice: Credentials;
  before(async () => {
    server = await startTestServer();
    alice = await server.account('alice', { name: 'Alice' });
  });
  after(() => server.close());

  test('verify_credentials: every field with its type, 2016+ defaults, exact 64-bit id', async () => {
    const r = await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json');
    assert.equal(r.status, 200);
    const u = r.json;
    for (const [field, type] of Object.entries(FIELD_TYPES)) {
      assert.ok(field in u, `missing ${field}`);
      assert.ok(type.split('|').includes(typeOf(u[field])), `${field}: ${typeOf(u[field])} is not ${type}`);
    }
    assert.equal(u.suspended, false);
    assert.equal(u.needs_phone_verification, false);
    assert.equal('status' in u, false);
    assert.equal('email' in u, false);
    assert.equal('profile_banner_url' in u, false);
    // The raw text carries the id as an exact integer, equal to id_str, above 2^53.
    const rawId = /"id":(\d+)/.exec(r.text)?.[1];
    assert.equal(rawId, u.id_str);
    assert.equal(u.id_str, alice.userId);
    assert.ok(BigInt(u.id_str) > 2n ** 53n);
    assert.match(u.created_at, CREATED_AT);
    assert.ok(Math.abs(Date.parse(u.created_at) - Date.now()) < 60_000);
    assert.deepEqual(
      [u.profile_background_color, u.profile_link_color, u.profile_sidebar_border_color, u.profile_sidebar_fill_color, u.profile_text_color],
      ['F5F8FA', '1DA1F2', 'C0DEED', 'DDEEF6', '333333'],
    );
    assert.equal(u.profile_use_background_image, true);
    assert.equal(u.profile_background_tile, false);
    assert.equal(u.profile_background_image_url, null);
    assert.equal(u.default_profile, true);
    assert.equal(u.default_profile_image, true);
    assert.equal(u.profile_image_url, `${server.url}/sticky/default_profile_images/default_profile_normal.png`);
    assert.deepEqual(u.entities, { description: { urls: [] } });
  });

  test('ids are time-ordered', async () => {
    const b = await server.account('zed');
    assert.ok(BigInt(b.userId) > BigInt(alice.userId));
  });

  test('include_entities=false drops entities; include_email adds email', async () => {
    const r = await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json', { query: { include_entities: 'false', include_email: 'true', skip_status: '1' } });
    assert.equal(r.json.entities, undefined);
    assert.equal(r.json.email, null);
    for (const off of ['False', 'f', '0']) {
      const x = await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json', { query: { include_entities: off } });
      assert.equal(x.json.entities, undefined, off);
    }
  });

  test('entities.url and entities.description with indices in code points', async () => {
    const r = await signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile.json', {
      form: { url: 'example.org/me', description: '🐦 see https://plumage.example/a, and http://b.example' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.url, 'http://example.org/me');
    assert.deepEqual(r.json.entities.url.urls[0].indices, [0, 'http://example.org/me'.length]);
    assert.equal(r.json.entities.url.urls[0].expanded_url, 'http://example.org/me');
    const d = r.json.entities.description.urls;
    assert.equal(d.length, 2);
    assert.equal(d[0].url, 'https://plumage.example/a');
    assert.deepEqual(d[0].indices, [6, 31]);
    assert.equal(d[1].url, 'http://b.example');
  });
});

describe('users/show', () => {
  let server: TestServer;
  let alice: Credentials;
  let bob: Credentials;
  before(async () => {
    server = await startTestServer();
    alice = await server.account('alice');
    bob = await server.account('Bob_B');
  });
  after(() => server.close());

  test('by screen_name (any case) and by user_id, through twitter-api-v2', async () => {
    const v1 = twitterApiV2(server, alice);
    const byName = await v1.user({ screen_name: 'bob_b' });
    assert.equal(byName.id_str, bob.userId);
    assert.equal(byName.screen_name, 'Bob_B');
    const byId = await v1.user({ user_id: bob.userId });
    assert.equal(byId.screen_name, 'Bob_B');
    assert.equal('suspended' in byId, false);
  });

  test('unknown user → 404 / 50; neither parameter → 400 / 38', async () => {
    assertError(await signedFetch(server.url, alice, 'GET', '/1.1/users/show.json', { query: { screen_name: 'nobody' } }), 404, 50, 'User not found.');
    assertError(await signedFetch(server.url, alice, 'GET', '/1.1/users/show.json', { query: { user_id: '12345' } }), 404, 50);
    assertError(await signedFetch(server.url, alice, 'GET', '/1.1/users/show.json', { query: { user_id: 'abc' } }), 404, 50);
    assertError(await signedFetch(server.url, alice, 'GET', '/1.1/users/show.json', { query: { screen_name: '../../etc' } }), 404, 50);
    assertError(await signedFetch(server.url, alice, 'GET', '/1.1/users/show.json'), 400, 38);
  });
});

describe('account/update_profile', () => {
  let server: TestServer;
  let alice: Credentials;
  before(async () => {
    server = await startTestServer();
    alice = await server.account('alice', { name: 'Alice' });
  });
  after(() => server.close());

  test('twitter-api-v2 updateAccountProfile: only the given fields change; UTF-8 and reserved characters survive signing', async () => {
    const v1 = twitterApiV2(server, alice);
    const name = "Ali+ce ~*!'() ☃ 🐦";
    const u = await v1.updateAccountProfile({ name, location: 'Zürich & Bern', profile_link_color: 'f00' });
    assert.equal(u.name, name);
    assert.equal(u.location, 'Zürich & Bern');
    assert.equal((u as unknown as Record<string, unknown>).profile_link_color, 'FF0000');
    assert.equal(u.default_profile, false);
    const again = await v1.updateAccountProfile({ description: 'bio' });
    assert.equal(again.name, name);
    assert.equal(again.location, 'Zürich & Bern');
    assert.equal(again.description, 'bio');
  });

  test('parameters in the query of a POST with an empty body (tweepy), or JSON-typed empty body (twit)', async () => {
    const q = await signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile.json', { query: { location: 'Query town' } });
    assert.equal(q.status, 200, q.text);
    assert.equal(q.json.location, 'Query town');
    const t = await signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile.json', {
      query: { location: 'Twit town' },
      contentType: 'application/json',
      body: '',
    });
    assert.equal(t.status, 200, t.text);
    assert.equal(t.json.location, 'Twit town');
  });

  test('multipart text parts are read but never signed', async () => {
    const form = new FormData();
    form.append('location', 'Multipart city');
    form.append('tweet_mode', 'extended');
    const r = await signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile.json', { body: form });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.location, 'Multipart city');
  });

  test('url gets http:// when it has no scheme; empty url clears it', async () => {
    const v1 = twitterApiV2(server, alice);
    assert.equal((await v1.updateAccountProfile({ url: 'plumage.example/x' })).url, 'http://plumage.example/x');
    assert.equal((await v1.updateAccountProfile({ url: 'https://secure.example' })).url, 'https://secure.example');
    const cleared = await signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile.json', { form: { url: '' } });
    assert.equal(cleared.json.url, null);
    assert.equal(cleared.json.entities.url, undefined);
  });

  test('too long → 403 / 120 with the field and limit; nothing changes (all or nothing)', async () => {
    const before = await server.deps.profile.byId(alice.userId);
    const cases: Array<[Record<string, string>, string]> = [
      [{ name: 'n'.repeat(51) }, 'Account update failed: Name is too long (maximum is 50 characters).'],
      [{ location: 'l'.repeat(31) }, 'Account update failed: Location is too long (maximum is 30 characters).'],
      [{ description: 'd'.repeat(161) }, 'Account update failed: Description is too long (maximum is 160 characters).'],
      [{ url: `http://${'u'.repeat(94)}.com` }, 'Account update failed: Url is too long (maximum is 100 characters).'],
      [{ name: 'Fine', location: 'l'.repeat(31) }, 'Account update failed: Location is too long (maximum is 30 characters).'],
    ];
    for (const [form, message] of cases) {
      assertError(await signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile.json', { form }), 403, 120, message);
    }
    // Exactly at the limits is fine, counting code points.
    const ok = await signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile.json', { form: { name: '🐦'.repeat(50) } });
    assert.equal(ok.status, 200);
    const afterwards = await server.deps.profile.byId(alice.userId);
    assert.equal(afterwards.location, before.location);
    assert.equal(afterwards.name, '🐦'.repeat(50));
  });

  test('bad colour or non-http(s) url → 403 / 120 with a clear message', async () => {
    assertError(await signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile.json', { form: { profile_link_color: 'red' } }), 403, 120, /profile_link_color/);
    for (const url of ['javascript:alert(1)', 'ftp://files.example', 'http://exa mple.com']) {
      assertError(await signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile.json', { form: { url } }), 403, 120, /^Account update failed: Url/);
    }
    assertError(await signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile.json', { form: { name: 'a\u0000b' } }), 403, 120, /invalid characters/);
  });

  test('booleans true/t/1 in any case; unknown parameters ignored', async () => {
    const r = await signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile.json', { form: { skip_status: 'True', include_entities: 'T', wibble: 'x', location: 'Here' } });
    assert.equal(r.status, 200);
    assert.ok(r.json.entities);
  });
});

describe('routing and errors', () => {
  let server: TestServer;
  let alice: Credentials;
  before(async () => {
    server = await startTestServer();
    alice = await server.account('alice');
  });
  after(() => server.close());

  test('unknown paths, other suffixes and wrong methods → 404 / 34', async () => {
    for (const [method, path] of [
      ['GET', '/1.1/account/verify_credentials.xml'],
      ['GET', '/1.1/statuses/home_timeline.json'],
      ['GET', '/1.1/account/update_profile.json'],
      ['POST', '/soap'],
      ['POST', '/xmlrpc'],
      ['GET', '/'],
    ] as const) {
      assertError(await signedFetch(server.url, alice, method, path), 404, 34, 'Sorry, that page does not exist.');
    }
  });

  test('an unexpected failure is 500 / 131 "Internal error" and nothing more', async () => {
    const broken = await startTestServer();
    try {
      const a = await broken.account('victim');
      await broken.deps.db.destroy();
      const r = await signedFetch(broken.url, a, 'GET', '/1.1/account/verify_credentials.json');
      assert.equal(r.status, 500);
      assert.equal(r.text, '{"errors":[{"code":131,"message":"Internal error"}]}');
    } finally {
      // The database is already gone; close the rest (Redis, S3 clients in the scaled pass).
      await broken.close().catch(() => undefined);
    }
  });
});
