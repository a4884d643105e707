// Pins the OAuth 1.0a building blocks to Twitter's published signing example, to the header
// shapes real clients send (clients.md §4), and to an independent signer (npm oauth-1.0a) over
// random inputs, so a regression shows up here rather than as 401s for one client.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fc from 'fast-check';
import OAuth from 'oauth-1.0a';
import { formDecode, parseFormPairs, percentEncode } from '../../src/oauth1/percent-encode.ts';
import { authorizationScheme, parseAuthorizationHeader } from '../../src/oauth1/header.ts';
import { normalizeBaseUrl, signatureBaseString } from '../../src/oauth1/base-string.ts';
import { hmacSha1, hmacSha1Digest, signingKey, signsAnyOf } from '../../src/oauth1/sign.ts';

const TWITTER_EXAMPLE = {
  consumerKey: 'xvz1evFS4wEEPTGEFPHBog',
  consumerSecret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
  token: '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb',
  tokenSecret: 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
  nonce: 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg',
  timestamp: '1318622958',
};

// Arbitrary code points alone almost never hit the characters where encoders differ (`!*'()`,
// space, `+`, `%`, `~`) or keys that tie on case or prefix, so those are drawn often too.
// Only whole code points: lone surrogates are tested separately.
const interestingChar = fc.oneof(
  fc.constantFrom(...'!*\'()~-._ +%&=/?#[]@:;,$"<>\\^`{|}aAbBzZ09é☃😀'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const interestingText = fc.string({ unit: interestingChar, maxLength: 12 });

function twitterExamplePairs(): Array<[string, string]> {
  return [
    ['include_entities', 'true'],
    ['status', 'Hello Ladies + Gentlemen, a signed OAuth request!'],
    ['oauth_consumer_key', TWITTER_EXAMPLE.consumerKey],
    ['oauth_nonce', TWITTER_EXAMPLE.nonce],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', TWITTER_EXAMPLE.timestamp],
    ['oauth_token', TWITTER_EXAMPLE.token],
    ['oauth_version', '1.0'],
  ];
}

test('Twitter signing example: base string, key and signature', () => {
  const baseUrl = normalizeBaseUrl('https', 'api.twitter.com', '/1.1/statuses/update.json');
  assert.equal(baseUrl, 'https://api.twitter.com/1.1/statuses/update.json');
  const base = signatureBaseString('post', baseUrl, twitterExamplePairs());
  assert.equal(
    base,
    'POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue' +
      '%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog' +
      '%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg' +
      '%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958' +
      '%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb' +
      '%26oauth_version%3D1.0' +
      '%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521',
  );
  const key = signingKey(TWITTER_EXAMPLE.consumerSecret, TWITTER_EXAMPLE.tokenSecret);
  assert.equal(key, 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw&LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE');
  assert.equal(hmacSha1(base, key), 'hCtSmYh+iHYCEqBWrE7C7hYmtUk=');

  const xBase = signatureBaseString(
    'POST',
    normalizeBaseUrl('https', 'api.x.com', '/1.1/statuses/update.json'),
    twitterExamplePairs(),
  );
  assert.equal(hmacSha1(xBase, key), 'Ls93hJiZbQ3akF3HF3x1Bz8/zU4=');
});

test('the Twitter example also verifies when its body arrives form-encoded', () => {
  const body = 'include_entities=true&status=Hello+Ladies+%2B+Gentlemen%2C+a+signed+OAuth+request%21';
  const pairs = [...parseFormPairs(body), ...twitterExamplePairs().slice(2)];
  const base = signatureBaseString('POST', 'https://api.twitter.com/1.1/statuses/update.json', pairs);
  const key = signingKey(TWITTER_EXAMPLE.consumerSecret, TWITTER_EXAMPLE.tokenSecret);
  assert.equal(hmacSha1(base, key), 'hCtSmYh+iHYCEqBWrE7C7hYmtUk=');
  const digest = (b: string) => hmacSha1Digest(b, key);
  assert.ok(signsAnyOf('hCtSmYh+iHYCEqBWrE7C7hYmtUk=', 'POST', ['https://api.twitter.com/1.1/statuses/update.json'], [pairs], digest));
});

test('signing key ends in & without a token secret and encodes both secrets', () => {
  assert.equal(signingKey('cs', ''), 'cs&');
  assert.equal(signingKey('a b&c', 'd+e'), 'a%20b%26c&d%2Be');
});

test('percentEncode: unreserved characters pass through', () => {
  const unreserved = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';
  assert.equal(percentEncode(unreserved), unreserved);
  assert.equal(percentEncode(''), '');
  assert.equal(percentEncode('~'), '~');
});

test('percentEncode: reserved and special characters', () => {
  assert.equal(percentEncode(' '), '%20');
  assert.equal(percentEncode('+'), '%2B');
  assert.equal(percentEncode('*'), '%2A');
  assert.equal(percentEncode('%'), '%25');
  assert.equal(percentEncode("!*'()"), '%21%2A%27%28%29');
  assert.equal(percentEncode(':/?#[]@$&+,;='), '%3A%2F%3F%23%5B%5D%40%24%26%2B%2C%3B%3D');
  assert.equal(percentEncode('"<>\\^`{|}'), '%22%3C%3E%5C%5E%60%7B%7C%7D');
  assert.equal(percentEncode('\n\t\0'), '%0A%09%00');
  assert.equal(percentEncode('\x7f'), '%7F');
});

test('percentEncode: UTF-8 with upper-case hex', () => {
  assert.equal(percentEncode('é'), '%C3%A9');
  assert.equal(percentEncode('☃'), '%E2%98%83');
  assert.equal(percentEncode('😀'), '%F0%9F%98%80');
  assert.equal(percentEncode('a☃b'), 'a%E2%98%83b');
});

test('percentEncode: lone surrogates become U+FFFD instead of throwing', () => {
  assert.equal(percentEncode('\ud800'), '%EF%BF%BD');
  assert.equal(percentEncode('a\udfffb'), 'a%EF%BF%BDb');
  assert.equal(percentEncode('\ud83d'), '%EF%BF%BD');
});

test('percentEncode agrees with encodeURIComponent plus the RFC 3986 patch', () => {
  fc.assert(
    fc.property(interestingText, (s) => {
      const reference = encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
      assert.equal(percentEncode(s), reference);
    }),
    { numRuns: 300 },
  );
});

test('formDecode: plus, percent escapes, UTF-8', () => {
  assert.equal(formDecode('a+b'), 'a b');
  assert.equal(formDecode('%2B'), '+');
  assert.equal(formDecode('%2b'), '+');
  assert.equal(formDecode('a%20b+c'), 'a b c');
  assert.equal(formDecode('%E2%98%83'), '☃');
  assert.equal(formDecode('%e2%98%83'), '☃');
  assert.equal(formDecode('%F0%9F%98%80x'), '😀x');
  assert.equal(formDecode('Acc+A6EFBF'), 'Acc A6EFBF');
  assert.equal(formDecode(''), '');
});

test('formDecode: malformed escapes are kept literally and never throw', () => {
  assert.equal(formDecode('%zz'), '%zz');
  assert.equal(formDecode('%'), '%');
  assert.equal(formDecode('100%'), '100%');
  assert.equal(formDecode('%4'), '%4');
  assert.equal(formDecode('%%41'), '%A');
  assert.equal(formDecode('%E2%98'), '%E2%98');
  assert.equal(formDecode('%E2%98x%83'), '%E2%98x%83');
  assert.equal(formDecode('%FF%41'), '%FFA');
  assert.equal(formDecode('%C0%AF'), '%C0%AF'); // overlong '/'
  assert.equal(formDecode('%ED%A0%80'), '%ED%A0%80'); // encoded surrogate
  assert.equal(formDecode('%E2%98%E2%98%83'), '%E2%98☃');
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('%', 'a', 'F', '9', 'E', '+', 'z', 'ø', '8') }), (s) => {
      assert.equal(typeof formDecode(s), 'string');
    }),
    { numRuns: 300 },
  );
});

test('formDecode inverts percentEncode', () => {
  fc.assert(
    fc.property(interestingText, (s) => {
      assert.equal(formDecode(percentEncode(s)), s);
    }),
    { numRuns: 300 },
  );
});

test('parseFormPairs: order, duplicates, missing =, empty pieces', () => {
  assert.deepEqual(parseFormPairs(''), []);
  assert.deepEqual(parseFormPairs('a=1&b=2&a=3'), [
    ['a', '1'],
    ['b', '2'],
    ['a', '3'],
  ]);
  assert.deepEqual(parseFormPairs('&&flag&x=&=y&&'), [
    ['flag', ''],
    ['x', ''],
    ['', 'y'],
  ]);
  assert.deepEqual(parseFormPairs('k=a=b'), [['k', 'a=b']]);
  assert.deepEqual(parseFormPairs('na+me=Acc+A6EFBF&s=%E2%98%83%2B'), [
    ['na me', 'Acc A6EFBF'],
    ['s', '☃+'],
  ]);
  assert.deepEqual(parseFormPairs('bad=%zz'), [['bad', '%zz']]);
});

const EXPECTED_OAUTH_PAIRS: Array<[string, string]> = [
  ['oauth_consumer_key', 'ck'],
  ['oauth_nonce', 'n+/='],
  ['oauth_signature', 'sig='],
  ['oauth_signature_method', 'HMAC-SHA1'],
];

function sortedPairs(pairs: Array<[string, string]> | null): Array<[string, string]> | null {
  return pairs === null ? null : [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

test('header: separators used by real clients (clients.md §4)', () => {
  const values = ['oauth_consumer_key="ck"', 'oauth_nonce="n%2B%2F%3D"', 'oauth_signature="sig%3D"', 'oauth_signature_method="HMAC-SHA1"'];
  for (const separator of [', ', ',', ' , ', ' ,', ',\t', ' ,  ']) {
    const header = `OAuth ${values.join(separator)}`;
    assert.deepEqual(parseAuthorizationHeader(header), EXPECTED_OAUTH_PAIRS, JSON.stringify(header));
  }
});

test('header: any order, order of the header preserved', () => {
  const header =
    'OAuth oauth_signature="sig%3D", oauth_signature_method="HMAC-SHA1", oauth_nonce="n%2B%2F%3D", oauth_consumer_key="ck"';
  const parsed = parseAuthorizationHeader(header);
  assert.equal(parsed?.[0]?.[0], 'oauth_signature');
  assert.deepEqual(sortedPairs(parsed), EXPECTED_OAUTH_PAIRS);
});

test('header: shapes of tweepy, Net::Twitter and twit', () => {
  const tweepy =
    'OAuth oauth_nonce="123456789012345678901234567890", oauth_timestamp="1700000000", oauth_version="1.0", ' +
    'oauth_signature_method="HMAC-SHA1", oauth_consumer_key="ck", oauth_token="1-tok", oauth_signature="ab%2Bcd%2F%3D"';
  assert.deepEqual(parseAuthorizationHeader(tweepy), [
    ['oauth_nonce', '123456789012345678901234567890'],
    ['oauth_timestamp', '1700000000'],
    ['oauth_version', '1.0'],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_consumer_key', 'ck'],
    ['oauth_token', '1-tok'],
    ['oauth_signature', 'ab+cd/='],
  ]);
  const netTwitter =
    'OAuth oauth_consumer_key="ck",oauth_nonce="Zm9v%2BYmFy%2FYmF6cXV4cXV1eA",oauth_signature="x%3D",' +
    'oauth_signature_method="HMAC-SHA1",oauth_timestamp="1700000000",oauth_token="1-tok",oauth_version="1.0"';
  const parsed = parseAuthorizationHeader(netTwitter);
  assert.ok(parsed);
  assert.deepEqual(
    parsed.find(([k]) => k === 'oauth_nonce'),
    ['oauth_nonce', 'Zm9v+YmFy/YmF6cXV4cXV1eA'],
  );
  assert.equal(parsed.length, 7);
});

test('header: realm is dropped, even when not percent-encoded', () => {
  assert.deepEqual(parseAuthorizationHeader('OAuth realm="Photos, 100% Inc", oauth_token="t"'), [['oauth_token', 't']]);
  assert.deepEqual(parseAuthorizationHeader('OAuth oauth_token="t", Realm="http://sp.example.com/"'), [['oauth_token', 't']]);
});

test('header: scheme is case-insensitive', () => {
  for (const scheme of ['OAuth', 'oauth', 'OAUTH', 'oAuTh']) {
    assert.deepEqual(parseAuthorizationHeader(`${scheme} oauth_token="t"`), [['oauth_token', 't']]);
  }
  assert.deepEqual(parseAuthorizationHeader('  OAuth   oauth_token="t"  '), [['oauth_token', 't']]);
});

test('header: unquoted values, empty values, empty list elements', () => {
  assert.deepEqual(parseAuthorizationHeader('OAuth oauth_token=t, oauth_signature=ab/c+d=, oauth_nonce="q"'), [
    ['oauth_token', 't'],
    ['oauth_signature', 'ab/c+d='],
    ['oauth_nonce', 'q'],
  ]);
  assert.deepEqual(parseAuthorizationHeader('OAuth oauth_token=""'), [['oauth_token', '']]);
  assert.deepEqual(parseAuthorizationHeader('OAuth a="1",,b="2",'), [
    ['a', '1'],
    ['b', '2'],
  ]);
  assert.deepEqual(parseAuthorizationHeader('OAuth a = "1"'), [['a', '1']]);
  assert.deepEqual(parseAuthorizationHeader('OAuth'), []);
});

test('header: values are percent-decoded but + stays +', () => {
  assert.deepEqual(parseAuthorizationHeader('OAuth oauth_nonce="a+b%20c%E2%98%83"'), [['oauth_nonce', 'a+b c☃']]);
  assert.deepEqual(parseAuthorizationHeader('OAuth oauth%5Fnonce="x"'), [['oauth_nonce', 'x']]);
});

test('header: duplicates are kept for the verifier to reject', () => {
  assert.deepEqual(parseAuthorizationHeader('OAuth oauth_nonce="a", oauth_nonce="b"'), [
    ['oauth_nonce', 'a'],
    ['oauth_nonce', 'b'],
  ]);
});

test('header: other schemes and malformed headers give null', () => {
  const bad = [
    '',
    'Bearer AAAA',
    'Basic Y2s6Y3M=',
    'OAuthoauth_token="t"',
    'OAuth,oauth_token="t"',
    'OAuth oauth_token="t',
    'OAuth oauth_token=t"',
    'OAuth oauth_token="t"x',
    'OAuth oauth_token="t" oauth_nonce="n"',
    'OAuth oauth_token',
    'OAuth oauth_token, oauth_nonce="n"',
    'OAuth ="t"',
    'OAuth oauth_token=="t"',
    'OAuth @@@',
    'OAuth oauth_token="%zz"',
    'OAuth oauth_token="%E2%98"',
    'OAuth oauth_token="a%"',
    'OAuth oauth_token="t\\',
  ];
  for (const header of bad) assert.equal(parseAuthorizationHeader(header), null, JSON.stringify(header));
});

test('header: round-trips what oauth-1.0a emits', () => {
  const oauth = new OAuth({ consumer: { key: 'c k+/', secret: 's' }, signature_method: 'PLAINTEXT' });
  const data = oauth.authorize({ url: 'https://example.com/', method: 'GET' }, { key: 'tok én', secret: 't' });
  for (const separator of [', ', ',']) {
    oauth.parameter_seperator = separator;
    const parsed = parseAuthorizationHeader(oauth.toHeader(data).Authorization);
    assert.ok(parsed);
    const map = new Map(parsed);
    assert.equal(map.get('oauth_consumer_key'), 'c k+/');
    assert.equal(map.get('oauth_token'), 'tok én');
    assert.equal(map.get('oauth_signature'), 's&t');
  }
});

test('authorizationScheme', () => {
  assert.equal(authorizationScheme('OAuth oauth_token="t"'), 'oauth');
  assert.equal(authorizationScheme('Bearer AAAA'), 'bearer');
  assert.equal(authorizationScheme('Basic Y2s6Y3M='), 'basic');
  assert.equal(authorizationScheme('  BASIC   x'), 'basic');
  assert.equal(authorizationScheme('OAuth'), 'oauth');
  assert.equal(authorizationScheme(''), '');
});

test('normalizeBaseUrl: default ports dropped, other ports kept, case', () => {
  assert.equal(normalizeBaseUrl('HTTP', 'EXAMPLE.COM:80', '/r%20v/X'), 'http://example.com/r%20v/X');
  assert.equal(normalizeBaseUrl('https', 'www.example.net:8080', '/?q=1'), 'https://www.example.net:8080/');
  assert.equal(normalizeBaseUrl('https', 'Api.Example.com:443', '/1.1/Users/Show.json'), 'https://api.example.com/1.1/Users/Show.json');
  assert.equal(normalizeBaseUrl('http', 'example.com:443', '/a'), 'http://example.com:443/a');
  assert.equal(normalizeBaseUrl('https', 'example.com:80', '/a'), 'https://example.com:80/a');
  assert.equal(normalizeBaseUrl('http', '127.0.0.1:3000', '/1.1/x.json'), 'http://127.0.0.1:3000/1.1/x.json');
  assert.equal(normalizeBaseUrl('https:', 'example.com', '/'), 'https://example.com/');
  assert.equal(normalizeBaseUrl('http', 'example.com:', ''), 'http://example.com/');
  assert.equal(normalizeBaseUrl('http', 'example.com:0080', '/'), 'http://example.com/');
  assert.equal(normalizeBaseUrl('http', '[::1]:80', '/a'), 'http://[::1]/a');
  assert.equal(normalizeBaseUrl('http', '[::1]:8080', '/a'), 'http://[::1]:8080/a');
  assert.equal(normalizeBaseUrl('https', '[2001:DB8::1]', '/a'), 'https://[2001:db8::1]/a');
});

test('signatureBaseString: byte-order sort by encoded key then value, duplicates kept', () => {
  const base = signatureBaseString('get', 'http://example.com/', [
    ['b', '2'],
    ['a', 'z'],
    ['a', 'Z'],
    ['a', ' '],
    ['B', '1'],
    ['a_', '1'],
    ['a-', '1'],
    ['é', '1'],
  ]);
  const [method, url, params] = base.split('&');
  assert.equal(method, 'GET');
  assert.equal(url, 'http%3A%2F%2Fexample.com%2F');
  // Sorting is on the encoded form: `%C3%A9` sorts first because `%` < `B`, though `é` > `b`.
  assert.equal(decodeURIComponent(params ?? ''), '%C3%A9=1&B=1&a=%20&a=Z&a=z&a-=1&a_=1&b=2');
  assert.equal(signatureBaseString('GET', 'http://example.com/', []), 'GET&http%3A%2F%2Fexample.com%2F&');
});

test('signatureBaseString equals a plain sort-and-join over random parameters, in or out of order, as the method and URL change', () => {
  const rfc3986 = (v: string) => encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const reference = (method: string, url: string, pairs: Array<[string, string]>) => {
    const encoded = pairs.map(([k, v]) => [rfc3986(k), rfc3986(v)] as const);
    encoded.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0));
    return [method.toUpperCase(), rfc3986(url), rfc3986(encoded.map(([k, v]) => `${k}=${v}`).join('&'))].join('&');
  };
  const text = fc.string({ unit: fc.constantFrom('a', 'b', 'B', '_', '-', '%', ' ', '=', '&', 'é', '~', '+'), maxLength: 4 });
  const pair = fc.tuple(fc.oneof(text, fc.constantFrom('oauth_nonce', 'oauth_token', 'a')), text);
  fc.assert(
    fc.property(fc.constantFrom('GET', 'post', 'POST'), fc.constantFrom('http://example.com/', 'https://api.example.com/1.1/x.json', 'http://example.com/a%20b'), fc.array(pair, { maxLength: 8 }), fc.boolean(), (method, url, pairs, presort) => {
      // Sorted by name already (as most clients send them), or in any order.
      const input = presort ? [...pairs].sort((x, y) => (rfc3986(x[0]) < rfc3986(y[0]) ? -1 : rfc3986(x[0]) > rfc3986(y[0]) ? 1 : 0)) : pairs;
      assert.equal(signatureBaseString(method, url, input), reference(method, url, input));
    }),
    { numRuns: 2000, seed: 0x5eed },
  );
});

test('signatureBaseString matches RFC 5849 §3.4.1.1 example', () => {
  const pairs = [
    ...parseFormPairs('b5=%3D%253D&a3=a&c%40=&a2=r%20b'),
    ...parseFormPairs('c2&a3=2+q'),
    ['oauth_consumer_key', '9djdj82h48djs9d2'],
    ['oauth_token', 'kkk9d7dh3k39sjv7'],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', '137131201'],
    ['oauth_nonce', '7d8f3e4a'],
  ] as Array<[string, string]>;
  assert.equal(
    signatureBaseString('POST', normalizeBaseUrl('http', 'example.com', '/request'), pairs),
    'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q' +
      '%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_' +
      'key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m' +
      'ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk' +
      '9d7dh3k39sjv7',
  );
});

test('signsAnyOf: which texts of a signature are accepted', () => {
  const sig = 'hCtSmYh+iHYCEqBWrE7C7hYmtUk=';
  const matches = (provided: string, expected: Buffer = Buffer.from(sig, 'base64')) =>
    signsAnyOf(provided, 'GET', ['http://a.example/'], [[]], () => expected);
  assert.equal(matches(sig), true);
  assert.equal(matches('hCtSmYh+iHYCEqBWrE7C7hYmtUk'), true, 'unpadded');
  assert.equal(matches('Ls93hJiZbQ3akF3HF3x1Bz8/zU4='), false);
  assert.equal(matches('hCtSmYh+iHYCEqBWrE7C7hYmtUg='), false);
  assert.equal(matches(''), false);
  assert.equal(matches('hCtSmYh+iHYCEqBWrE7C7hYm'), false, 'too short');
  assert.equal(matches(`${sig}AAAA`), false, 'too long');
  assert.equal(matches('hCtSmYh-iHYCEqBWrE7C7hYmtUk='), false, 'url-safe alphabet');
  assert.equal(matches('hCtSmYh+iHYC EqBWrE7C7hYmtUk='), false, 'junk inside');
  assert.equal(matches('!!!!!!!!!!!!!!!!!!!!!!!!!!!='), false);
  assert.equal(matches('hCtSmYh+iHYCEqBWrE7C7hYmtUk=='), false, 'bad padding');
  assert.equal(matches('', Buffer.alloc(0)), false, 'an empty expected value never matches');
  assert.equal(matches('!', Buffer.alloc(20)), false);
  assert.equal(signsAnyOf(sig, 'GET', [], [[]], () => Buffer.from(sig, 'base64')), false, 'no candidate, no match');
});

// oauth-1.0a follows RFC 5849 only on part of the input space, so the generators stay inside it:
// - The url must have no query: getBaseUrl just cuts at `?`, and deParam splits each pair at
//   every `=` (values containing `=` are truncated), leaves keys undecoded, decodes values with
//   decodeURIComponent (no `+` → space, throws on bad escapes) and lets a query key replace a
//   data key of the same name instead of adding a second pair.
// - The url must already be normalized: it is used verbatim (no lower-casing, default ports kept).
// - Data keys must be distinct, which a plain object guarantees; duplicates are only possible via
//   the query string, where they become arrays.
// - Data keys must not start with `oauth_`: mergeObject lets data overwrite oauth_nonce etc., and
//   a data key `oauth_signature` would be signed.
// - No `__proto__` key: mergeObject assigns it with `obj[key] = v`, which hits the prototype
//   setter and silently drops the parameter.
// - Strings must be well-formed UTF-16: percentEncode is encodeURIComponent, which throws on
//   lone surrogates. interestingText only produces whole code points.
// Also, mergeObject mutates its first argument, so authorize() returns the data parameters mixed
// into the oauth_* object; only the oauth_* keys are taken from it below.
test('property: same signature as the oauth-1.0a signer', () => {
  const text = interestingText;
  const key = text.filter((k) => !k.startsWith('oauth_') && k !== '__proto__');
  const hostLabel = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
  // oauth-1.0a gets the canonical URL; our side gets what a server might see (any case, an
  // explicit default port), so normalizeBaseUrl is exercised too.
  const url = fc
    .record({
      scheme: fc.constantFrom('http', 'https'),
      host: fc.array(hostLabel, { minLength: 1, maxLength: 3 }).map((labels) => labels.join('.')),
      port: fc.option(fc.oneof(fc.constantFrom(80, 443), fc.integer({ min: 1, max: 65535 })), { nil: undefined }),
      upperScheme: fc.boolean(),
      upperHost: fc.boolean(),
      segments: fc.array(text, { maxLength: 4 }),
    })
    .map(({ scheme, host, port, upperScheme, upperHost, segments }) => {
      const path = `/${segments.map((s) => percentEncode(s)).join('/')}`;
      const defaultPort = scheme === 'http' ? 80 : 443;
      const canonicalPort = port === undefined || port === defaultPort ? '' : `:${port}`;
      const seenHost = upperHost ? host.toUpperCase() : host;
      return {
        scheme: upperScheme ? scheme.toUpperCase() : scheme,
        authority: port === undefined ? seenHost : `${seenHost}:${port}`,
        path,
        url: `${scheme}://${host}${canonicalPort}${path}`,
      };
    });

  fc.assert(
    fc.property(
      fc.record({
        consumerKey: text,
        consumerSecret: text,
        token: fc.option(fc.record({ key: text, secret: text }), { nil: undefined }),
        method: fc.constantFrom('GET', 'POST', 'get', 'post'),
        url,
        data: fc.dictionary(key, text, { maxKeys: 6 }),
      }),
      ({ consumerKey, consumerSecret, token, method, url, data }) => {
        const oauth = new OAuth({
          consumer: { key: consumerKey, secret: consumerSecret },
          signature_method: 'HMAC-SHA1',
          hash_function(base, signingKeyText) {
            return crypto.createHmac('sha1', signingKeyText).update(base).digest('base64');
          },
        });
        const signed = oauth.authorize({ url: url.url, method, data: { ...data } }, token);

        const pairs: Array<[string, string]> = Object.entries(data);
        for (const [k, v] of Object.entries(signed)) {
          if (k.startsWith('oauth_') && k !== 'oauth_signature') pairs.push([k, String(v)]);
        }
        const baseUrl = normalizeBaseUrl(url.scheme, url.authority, url.path);
        const key = signingKey(consumerSecret, token?.secret ?? '');
        const ours = hmacSha1(signatureBaseString(method, baseUrl, pairs), key);
        assert.equal(ours, signed.oauth_signature);
        assert.ok(signsAnyOf(signed.oauth_signature, method, [baseUrl], [pairs], (b) => hmacSha1Digest(b, key)));
      },
    ),
    { numRuns: 200 },
  );
});
