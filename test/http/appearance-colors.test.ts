// POST account/update_profile_colors through HTTP (issue #3 item 1): every transport real
// clients use (query of an empty POST as tweepy and twit send it, urlencoded from
// twitter-api-v2 and twitter-lite, multipart text parts), colour spellings, all-or-nothing
// validation, and default_profile.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, twitterApiV2, type TestServer } from '../helpers/server.ts';
import { signedFetch, signedRequest } from '../helpers/signing.ts';
import { assertTwitterError, postMultipart, showUser, stopServer, twitterLite } from '../helpers/images.ts';

const COLOUR_PARAMS = [
  'profile_background_color',
  'profile_link_color',
  'profile_sidebar_border_color',
  'profile_sidebar_fill_color',
  'profile_text_color',
] as const;

const DEFAULTS: Record<(typeof COLOUR_PARAMS)[number], string> = {
  profile_background_color: 'F5F8FA',
  profile_link_color: '1DA1F2',
  profile_sidebar_border_color: 'C0DEED',
  profile_sidebar_fill_color: 'DDEEF6',
  profile_text_color: '333333',
};

function coloursOf(u: any): Record<string, string> {
  return Object.fromEntries(COLOUR_PARAMS.map((p) => [p, u[p]]));
}

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => stopServer(server));

describe('account/update_profile_colors', () => {
  test('a fresh account has the 2016+ theme and default_profile true; one colour makes it false', async () => {
    const c = await server.account('fresh');
    const u = await showUser(server, c);
    assert.deepEqual(coloursOf(u), DEFAULTS);
    assert.equal(u.default_profile, true);
    const r = await signedFetch(server.url, c, 'POST', '/1.1/account/update_profile_colors.json', { form: { profile_text_color: '000' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.profile_text_color, '000000');
    assert.equal(r.json.default_profile, false);
    assert.equal(r.json.id_str, c.userId);
    assert.equal((await showUser(server, c)).default_profile, false);
  });

  test('from the query of a POST with an empty body (tweepy), and with an empty JSON-typed body (twit)', async () => {
    const c = await server.account('querier');
    // '#' goes on the wire as %23, as the 2012 doc example needs.
    const q = await signedFetch(server.url, c, 'POST', '/1.1/account/update_profile_colors.json', {
      query: { profile_background_color: '#fff', profile_link_color: 'a1b2c3', skip_status: 'True' },
    });
    assert.equal(q.status, 200, q.text);
    assert.equal(q.json.profile_background_color, 'FFFFFF');
    assert.equal(q.json.profile_link_color, 'A1B2C3');
    assert.equal(q.json.profile_text_color, DEFAULTS.profile_text_color);
    const t = await signedFetch(server.url, c, 'POST', '/1.1/account/update_profile_colors.json', {
      query: { profile_sidebar_fill_color: '0F0' },
      contentType: 'application/json',
      body: '',
    });
    assert.equal(t.status, 200, t.text);
    assert.equal(t.json.profile_sidebar_fill_color, '00FF00');
    // The earlier call's colours are still there: only the given ones change.
    assert.equal(t.json.profile_background_color, 'FFFFFF');
    const u = await showUser(server, c);
    assert.deepEqual(coloursOf(u), {
      ...DEFAULTS,
      profile_background_color: 'FFFFFF',
      profile_link_color: 'A1B2C3',
      profile_sidebar_fill_color: '00FF00',
    });
  });

  test('the wire spelling %23FFF in the query and in an urlencoded body', async () => {
    const c = await server.account('percent');
    const { url, init } = signedRequest(server.url, c, 'POST', '/1.1/account/update_profile_colors.json', { query: { profile_text_color: '#FFF' } });
    assert.equal(url.search, '?profile_text_color=%23FFF');
    const res = await fetch(url, init);
    const q: any = await res.json();
    assert.equal(res.status, 200, JSON.stringify(q));
    assert.equal(q.profile_text_color, 'FFFFFF');
    const { url: u2, init: i2 } = signedRequest(server.url, c, 'POST', '/1.1/account/update_profile_colors.json', { form: { profile_link_color: '#0a0' } });
    assert.equal(i2.body, 'profile_link_color=%230a0');
    const b: any = await (await fetch(u2, i2)).json();
    assert.equal(b.profile_link_color, '00AA00');
  });

  test('urlencoded through twitter-api-v2 (generic v1.post): #fff, fff, FfFfFf, #ffffff, 3 and 6 digits, any case', async () => {
    const c = await server.account('apiv2');
    const v1 = twitterApiV2(server, c);
    const u = await v1.post<any>('account/update_profile_colors.json', {
      profile_background_color: '#fff',
      profile_link_color: 'fff',
      profile_sidebar_border_color: 'FfFfFf',
      profile_sidebar_fill_color: '#ffffff',
      profile_text_color: '#aB3',
    });
    assert.deepEqual(coloursOf(u), {
      profile_background_color: 'FFFFFF',
      profile_link_color: 'FFFFFF',
      profile_sidebar_border_color: 'FFFFFF',
      profile_sidebar_fill_color: 'FFFFFF',
      profile_text_color: 'AABB33',
    });
    assert.equal(u.default_profile, false);
    assert.deepEqual(coloursOf(await showUser(server, c)), coloursOf(u));
  });

  test('urlencoded through twitter-lite (every body parameter signed)', async () => {
    const c = await server.account('lite');
    const lite = twitterLite(server, c);
    const u: any = await lite.post('account/update_profile_colors', {
      profile_background_color: '#123',
      profile_text_color: '654321',
      include_entities: 'false',
      skip_status: 't',
    });
    assert.equal(u.profile_background_color, '112233');
    assert.equal(u.profile_text_color, '654321');
    assert.equal(u.entities, undefined, 'include_entities=false drops entities');
    assert.equal(u.profile_link_color, DEFAULTS.profile_link_color);
    const back = await showUser(server, c);
    assert.equal(back.profile_background_color, '112233');
    assert.equal(back.profile_text_color, '654321');
  });

  test('multipart text parts (never signed)', async () => {
    const c = await server.account('multi');
    const r = await postMultipart(server, c, '/1.1/account/update_profile_colors.json', [
      { name: 'profile_sidebar_border_color', value: '#AbCdEf' },
      { name: 'profile_link_color', value: 'f0f' },
      { name: 'tweet_mode', value: 'extended' },
    ]);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.profile_sidebar_border_color, 'ABCDEF');
    assert.equal(r.json.profile_link_color, 'FF00FF');
    assert.ok(r.json.entities, 'entities are on by default');
    // And through FormData, as undici builds it.
    const form = new FormData();
    form.append('profile_text_color', '#0a0B0c');
    const f = await signedFetch(server.url, c, 'POST', '/1.1/account/update_profile_colors.json', { body: form });
    assert.equal(f.status, 200, f.text);
    assert.equal(f.json.profile_text_color, '0A0B0C');
    assert.equal((await showUser(server, c)).profile_sidebar_border_color, 'ABCDEF');
  });

  test('the path without .json (the seed spells it so) and the answer is JSON', async () => {
    const c = await server.account('nojson');
    const r = await signedFetch(server.url, c, 'POST', '/1.1/account/update_profile_colors', { form: { profile_link_color: 'E81C4F' } });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(r.json.profile_link_color, 'E81C4F');
    const x = await signedFetch(server.url, c, 'POST', '/1.1/account/update_profile_colors.xml', { form: { profile_link_color: '000000' } });
    assertTwitterError(x, 404, 34);
    assert.equal((await showUser(server, c)).profile_link_color, 'E81C4F');
  });

  test('no colour at all → 400 / 38 naming the five parameters; nothing changes', async () => {
    const c = await server.account('nothing');
    const before = await showUser(server, c);
    const cases: Array<Record<string, string>> = [{}, { include_entities: 'true', skip_status: '1' }, { profile_colour: 'fff', text_color: '000' }];
    for (const form of cases) {
      const r = await signedFetch(server.url, c, 'POST', '/1.1/account/update_profile_colors.json', { form });
      assertTwitterError(r, 400, 38);
      for (const p of COLOUR_PARAMS) assert.ok(r.json.errors[0].message.includes(p), `${r.json.errors[0].message} does not name ${p}`);
    }
    const empty = await signedFetch(server.url, c, 'POST', '/1.1/account/update_profile_colors.json');
    assertTwitterError(empty, 400, 38);
    assert.deepEqual(await showUser(server, c), before);
  });

  test('one invalid value among valid ones → 403 / 120 naming it, and nothing changes (all or nothing)', async () => {
    const c = await server.account('strict');
    // Start from a non-default theme so "unchanged" is not just "default".
    const set = await signedFetch(server.url, c, 'POST', '/1.1/account/update_profile_colors.json', {
      form: { profile_background_color: '010101', profile_link_color: '020202', profile_text_color: '030303' },
    });
    assert.equal(set.status, 200, set.text);
    const before = await showUser(server, c);
    const invalid = ['red', 'ffff', 'fffffff', '#ggg', '##fff', '12345', 'f', 'ff', '0x123', '#12 456', '-fff'];
    for (const [i, bad] of invalid.entries()) {
      const badParam = COLOUR_PARAMS[i % COLOUR_PARAMS.length]!;
      const form: Record<string, string> = {};
      for (const p of COLOUR_PARAMS) form[p] = p === badParam ? bad : 'ABCDEF';
      const r = await signedFetch(server.url, c, 'POST', '/1.1/account/update_profile_colors.json', { form });
      assertTwitterError(r, 403, 120, /^Account update failed: /);
      assert.ok(r.json.errors[0].message.includes(badParam), `${JSON.stringify(bad)}: message ${r.json.errors[0].message} does not name ${badParam}`);
      for (const p of COLOUR_PARAMS) {
        if (p !== badParam) assert.ok(!r.json.errors[0].message.includes(p), `message names the valid ${p}: ${r.json.errors[0].message}`);
      }
    }
    // Invalid in the query, valid in the body: still refused as a whole.
    const mixed = await signedFetch(server.url, c, 'POST', '/1.1/account/update_profile_colors.json', {
      query: { profile_sidebar_fill_color: 'nothex' },
      form: { profile_link_color: 'ABCDEF' },
    });
    assertTwitterError(mixed, 403, 120, /profile_sidebar_fill_color/);
    // Through twitter-lite the refusal surfaces as the parsed error body.
    const lite = twitterLite(server, c);
    let caught: any;
    try {
      await lite.post('account/update_profile_colors', { profile_text_color: 'ABCDEF', profile_link_color: 'blue' });
    } catch (e) {
      caught = e;
    }
    assert.equal(caught?.errors?.[0]?.code, 120, JSON.stringify(caught));
    assert.deepEqual(await showUser(server, c), before);
  });
});
