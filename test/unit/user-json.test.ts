// The compiled user writer (writeUserJson) must give exactly the text of the generic path,
// toJson(presentUser(...)), for every user, URL configuration and option set; and the
// remembered text (userJsonBody) must follow the user object it was written for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { presentUser, toJson, userJsonBody, writeUserJson, type PresentOptions } from '../../src/http/presenters.ts';
import { MediaUrls } from '../../src/http/media-urls.ts';
import { DEFAULT_COLOURS, type User } from '../../src/profile/user.ts';

/** Every code unit, lone surrogates and control characters included. */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
  fc.constantFrom('see https://example.com/a?b=1 and http://x.y', 'HTTPS://LOUD.EXAMPLE', 'http://', 'https://é.example/ü.'),
);
const colour = fc.oneof(fc.constant(DEFAULT_COLOURS.link), fc.stringMatching(/^[0-9A-F]{6}$/));
const blob = fc.option(fc.stringMatching(/^[0-9]{1,19}\/[a-z0-9_-]{1,12}\.(png|jpg|gif)$/), { nil: null });

const user: fc.Arbitrary<User> = fc.record({
  id: fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }).map(String),
  screenName: fc.stringMatching(/^[A-Za-z0-9_]{1,15}$/),
  name: text,
  description: text,
  location: text,
  url: fc.option(fc.oneof(fc.webUrl(), text), { nil: null }),
  email: fc.option(text, { nil: null }),
  createdAt: fc.integer({ min: 0, max: 4102444800000 }),
  colours: fc.record({ background: colour, link: colour, sidebarBorder: colour, sidebarFill: colour, text: colour }),
  backgroundTile: fc.boolean(),
  useBackgroundImage: fc.boolean(),
  profileImage: blob,
  backgroundImage: blob,
  banner: fc.option(fc.stringMatching(/^[0-9]{1,19}\/[0-9]{1,10}$/), { nil: null }),
  protected: fc.boolean(),
  verified: fc.boolean(),
});

const urls = fc.record({
  publicUrl: fc.constantFrom('http://127.0.0.1:8080', 'https://plumage.example', 'http://[::1]:3000'),
  publicHttpsUrl: fc.constantFrom('https://127.0.0.1:8443', 'https://plumage.example'),
  mediaUrl: fc.constantFrom(null, 'http://cdn.example/media', 'https://cdn.example'),
}).map((c) => new MediaUrls(c));

const options: fc.Arbitrary<PresentOptions> = fc.record({ includeEntities: fc.boolean(), self: fc.boolean(), includeEmail: fc.boolean() });

test('writeUserJson gives the same text as toJson(presentUser(...)) for any user', () => {
  fc.assert(
    fc.property(user, urls, options, (u, m, o) => {
      assert.equal(writeUserJson(u, m, o), toJson(presentUser(u, m, o)));
    }),
    { numRuns: 2000 },
  );
});

test('writeUserJson keeps the 64-bit id exact and the text valid JSON', () => {
  const u = fc.sample(user, 1)[0]!;
  const big = { ...u, id: '18446744073709551615', description: 'a\u2028b "q" \\ </script>' };
  const s = writeUserJson(big, new MediaUrls({ publicUrl: 'http://h', publicHttpsUrl: 'https://h', mediaUrl: null }), { includeEntities: true, self: true, includeEmail: true });
  assert.match(s, /^\{"id":18446744073709551615,"id_str":"18446744073709551615"/);
  assert.equal(JSON.parse(s).description, big.description);
});

test('userJsonBody is remembered per user object, URL bases and options, and follows a changed user', () => {
  const [u] = fc.sample(user, 1) as [User];
  const a = new MediaUrls({ publicUrl: 'http://a', publicHttpsUrl: 'https://a', mediaUrl: null });
  const b = new MediaUrls({ publicUrl: 'http://b', publicHttpsUrl: 'https://b', mediaUrl: null });
  const o = { includeEntities: true, self: true, includeEmail: false };
  const text = (who: User, urls: MediaUrls, opts: PresentOptions) => userJsonBody(who, urls, opts).text;
  const first = text(u, a, o);
  assert.equal(text(u, a, o), first);
  assert.equal(text(u, b, o), writeUserJson(u, b, o));
  assert.notEqual(text(u, b, o), first);
  assert.equal(text(u, a, { ...o, self: false }), writeUserJson(u, a, { ...o, self: false }));
  // The credentials cache hands out a new object when the row changes.
  const changed = { ...u, colours: { ...u.colours, link: u.colours.link === '000000' ? '111111' : '000000' } };
  assert.equal(text(changed, a, o), writeUserJson(changed, a, o));
  assert.notEqual(text(changed, a, o), first);
});

test('a remembered body is sent as text once, then as its UTF-8 bytes, encoded once', () => {
  const [u] = fc.sample(user, 1) as [User];
  const urls = new MediaUrls({ publicUrl: 'http://c', publicHttpsUrl: 'https://c', mediaUrl: null });
  const o = { includeEntities: true, self: true, includeEmail: false };
  const named = { ...u, name: 'Zoë ☃ \u{1F426}' };
  const body = userJsonBody(named, urls, o);
  assert.equal(userJsonBody(named, urls, o), body);
  assert.equal(body.body(), body.text);
  const bytes = body.body();
  assert.ok(Buffer.isBuffer(bytes));
  assert.deepEqual(bytes, Buffer.from(body.text, 'utf8'));
  assert.equal(body.body(), bytes);
  assert.equal(JSON.parse((bytes as Buffer).toString('utf8')).name, 'Zoë ☃ \u{1F426}');
});
