// Property tests (fast-check) for every parser that reads client input (issue #7, item 2):
// colours, booleans, profile text and URLs, percent-encoding, form pairs, the OAuth header,
// the base-string builder, base64 images and the merged request parameters. Two kinds of
// property: no input whatsoever makes a parser throw anything but its own named error (so no
// input can become a 5xx), and what a well-behaved client builds is read back exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fc from 'fast-check';
import OAuth from 'oauth-1.0a';
import { isFalsy, isTruthy, parseColour, checkText, normalizeProfileUrl, charLength } from '../../src/profile/rules.ts';
import { AccountUpdateError } from '../../src/profile/errors.ts';
import { formDecode, parseFormPairs, percentDecodeLenient, percentDecodeStrict, percentEncode } from '../../src/oauth1/percent-encode.ts';
import { authorizationScheme, parseAuthorizationHeader } from '../../src/oauth1/header.ts';
import { normalizeBaseUrl, signatureBaseString } from '../../src/oauth1/base-string.ts';
import { signsAnyOf } from '../../src/oauth1/sign.ts';
import { decodeBase64Image, findImage } from '../../src/profile/image-input.ts';
import { MapParams } from '../../src/profile/params.ts';
import { ImageMissingError, ImageUndecodableError } from '../../src/images/errors.ts';

const RUNS = { numRuns: 500 };
/** Anything a client can put in a string: every code unit, lone surrogates included. */
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 64 }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 64 }));
/** Whole code points only (what a client can percent-encode). */
const wellFormed = fc.string({ unit: 'binary', maxLength: 40 });
const hex = fc.constantFrom(...'0123456789abcdefABCDEF');
const oauth = new OAuth({ consumer: { key: 'k', secret: 's' }, signature_method: 'HMAC-SHA1', hash_function: (b, k) => crypto.createHmac('sha1', k).update(b).digest('base64') });

test('colours: any input gives null or six upper-case hex digits, never anything CSS could run', () => {
  fc.assert(
    fc.property(anyText, (s) => {
      const c = parseColour(s);
      assert.ok(c === null || /^[0-9A-F]{6}$/.test(c), `${JSON.stringify(s)} -> ${c}`);
      if (c !== null) assert.equal(parseColour(c), c, 'idempotent');
    }),
    RUNS,
  );
});

test('colours: every 3- and 6-digit hex colour, with or without #, is read as Twitter did', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: hex, minLength: 3, maxLength: 3 }), fc.string({ unit: hex, minLength: 6, maxLength: 6 })), fc.constantFrom('', '#', '%23'), (digits, prefix) => {
      const want = (digits.length === 3 ? digits.replace(/./g, (d) => d + d) : digits).toUpperCase();
      assert.equal(parseColour(prefix + digits), want);
    }),
    RUNS,
  );
});

test('colours: hex digits with anything appended or prepended are refused', () => {
  const junk = fc.string({ unit: fc.constantFrom(...';:(){}<>/\\"\'`!@$^&*=+|,. url'), minLength: 1, maxLength: 12 });
  fc.assert(
    fc.property(fc.string({ unit: hex, minLength: 6, maxLength: 6 }), junk, fc.boolean(), (digits, j, before) => {
      const v = before ? j + digits : digits + j;
      if (v.trim() === digits) return; // only whitespace was added
      assert.equal(parseColour(v), null, v);
    }),
    RUNS,
  );
});

test('booleans: never both true and false; the documented spellings in any case', () => {
  fc.assert(
    fc.property(fc.option(anyText, { nil: undefined }), (s) => {
      assert.ok(!(isTruthy(s) && isFalsy(s)));
    }),
    RUNS,
  );
  fc.assert(
    fc.property(fc.constantFrom('true', 't', '1'), fc.array(fc.boolean(), { maxLength: 4 }), (w, ups) => {
      const v = [...w].map((c, i) => (ups[i] ? c.toUpperCase() : c)).join('');
      assert.equal(isTruthy(v), true);
      assert.equal(isFalsy(v), false);
    }),
  );
});

test('profile text and URLs: only AccountUpdateError, and what passes is clean and short enough', () => {
  fc.assert(
    fc.property(anyText, fc.integer({ min: 1, max: 200 }), (s, max) => {
      try {
        const v = checkText('Name', s, max);
        assert.ok(charLength(v) <= max);
        assert.doesNotMatch(v, /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/);
      } catch (e) {
        assert.ok(e instanceof AccountUpdateError, String(e));
      }
      try {
        const u = normalizeProfileUrl(s);
        if (u !== null) assert.match(u, /^https?:\/\//);
      } catch (e) {
        assert.ok(e instanceof AccountUpdateError, String(e));
      }
    }),
    RUNS,
  );
});

test('percent-encoding: only unreserved characters and upper-case escapes; decoders never throw', () => {
  fc.assert(
    fc.property(anyText, (s) => {
      assert.match(percentEncode(s), /^(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})*$/);
      formDecode(s);
      const strict = percentDecodeStrict(s);
      assert.ok(strict === null || typeof strict === 'string');
      parseFormPairs(s);
    }),
    RUNS,
  );
});

test('percent-encoding: strict decoding (native) refuses exactly what the byte-wise decoder refuses, and agrees elsewhere', () => {
  // Escapes of every byte, well-formed UTF-8 or not (overlongs, surrogates, stray continuation bytes), among text.
  const escape = fc.integer({ min: 0, max: 255 }).map((b) => `%${b.toString(16).padStart(2, '0')}`);
  const piece = fc.oneof(escape, escape, fc.constantFrom('%', '%4', '%G1', '+', 'a', 'é', '%E2%82%AC', '%F0%9F%98%80', '%C0%80', '%ED%A0%80', '%F4%90%80%80'), anyText);
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
      const s = parts.join('');
      assert.equal(percentDecodeStrict(s), percentDecodeLenient(s, true));
    }),
    { numRuns: 3000 },
  );
});

test('percent-encoding: agrees with oauth-1.0a and round-trips through both decoders', () => {
  fc.assert(
    fc.property(wellFormed, (s) => {
      const e = percentEncode(s);
      assert.equal(e, oauth.percentEncode(s));
      assert.equal(percentDecodeStrict(e), s);
      assert.equal(formDecode(e), s);
    }),
    RUNS,
  );
});

test('form pairs: what a client encodes is read back in order, duplicates and empty values kept', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(wellFormed, wellFormed), { maxLength: 8 }), (pairs) => {
      const wire = pairs.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
      assert.deepEqual(parseFormPairs(wire), pairs);
    }),
    RUNS,
  );
});

test('OAuth header: any string gives null or pairs, never an exception', () => {
  const headerish = fc.oneof(
    anyText,
    anyText.map((s) => `OAuth ${s}`),
    fc.array(fc.tuple(fc.string({ maxLength: 8 }), anyText, fc.constantFrom('"', '', '\\"')), { maxLength: 6 }).map((xs) => `OAuth ${xs.map(([k, v, q]) => `${k}=${q}${v}${q}`).join(', ')}`),
  );
  fc.assert(
    fc.property(headerish, (h) => {
      const r = parseAuthorizationHeader(h);
      assert.ok(r === null || (Array.isArray(r) && r.every((p) => p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string')));
      assert.equal(typeof authorizationScheme(h), 'string');
    }),
    RUNS,
  );
});

test('OAuth header: any well-formed header reads back its parameters, whatever the separators', () => {
  const key = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz_'), minLength: 1, maxLength: 16 }).filter((k) => k !== 'realm');
  fc.assert(
    fc.property(fc.array(fc.tuple(key, wellFormed), { minLength: 1, maxLength: 8 }), fc.constantFrom(', ', ',', ' ,  ', ',\t'), fc.constantFrom('OAuth', 'oauth', 'OAUTH'), (pairs, sep, scheme) => {
      const h = `${scheme} ${pairs.map(([k, v]) => `${k}="${percentEncode(v)}"`).join(sep)}`;
      assert.deepEqual(parseAuthorizationHeader(h), pairs);
    }),
    RUNS,
  );
});

test('base string: the same bytes as oauth-1.0a for any parameters; never throws on any input', () => {
  const key = fc.string({ unit: fc.constantFrom(...'abcxyz_-.~!*()% é'), minLength: 1, maxLength: 6 });
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(key, wellFormed), { selector: ([k]) => k, maxLength: 8 }), fc.constantFrom('GET', 'post', 'Post'), (pairs, method) => {
      const url = 'https://api.example.org/1.1/account/update_profile.json';
      const theirs = oauth.getBaseString({ url, method, data: Object.fromEntries(pairs) }, {} as never);
      assert.equal(signatureBaseString(method, url, pairs), theirs);
    }),
    RUNS,
  );
  fc.assert(
    fc.property(anyText, fc.constantFrom('GET', 'POST', 'HEAD', 'post'), anyText, anyText, fc.array(fc.tuple(anyText, anyText), { maxLength: 5 }), (anyMethod, m, host, p, pairs) => {
      signatureBaseString(anyMethod, normalizeBaseUrl(anyMethod, host, p), pairs);
      // Encoded parts hold no raw '&': the three parts are always separable. (The method is
      // not encoded, RFC 5849 §3.4.1.1, but only GET, HEAD and POST routes authenticate.)
      const base = signatureBaseString(m, normalizeBaseUrl('http', host, p), pairs);
      assert.equal(base.split('&').length, 3);
    }),
    RUNS,
  );
});

test('signature comparison: any provided string is compared without throwing, only the right one matches', () => {
  const digest = (base: string) => crypto.createHmac('sha1', 'k').update(base).digest();
  const url = 'http://a.example/1.1/x.json';
  const right = digest(signatureBaseString('GET', url, [])).toString('base64');
  fc.assert(
    fc.property(anyText, (s) => {
      assert.equal(signsAnyOf(s, 'GET', [url], [[]], digest), s === right || s === right.replace(/=+$/, ''));
    }),
    RUNS,
  );
});

test('base64 images: any bytes survive every way clients send them', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.constantFrom('plain', 'wrapped', 'data-uri', 'url-safe', 'spaces-for-plus', 'unpadded'), (bytes, how) => {
      const b64 = Buffer.from(bytes).toString('base64');
      const text = {
        plain: b64,
        wrapped: b64.replace(/(.{60})/g, '$1\r\n'),
        'data-uri': `data:image/png;base64,${b64}`,
        'url-safe': Buffer.from(bytes).toString('base64url'),
        'spaces-for-plus': b64.replaceAll('+', ' '),
        unpadded: b64.replace(/=+$/, ''),
      }[how];
      assert.deepEqual(decodeBase64Image(text), Buffer.from(bytes));
    }),
    RUNS,
  );
});

test('base64 images: any text decodes or fails with a named image error', () => {
  fc.assert(
    fc.property(anyText, (s) => {
      try {
        assert.ok(Buffer.isBuffer(decodeBase64Image(s)));
      } catch (e) {
        assert.ok(e instanceof ImageMissingError || e instanceof ImageUndecodableError, String(e));
      }
    }),
    RUNS,
  );
});

test('params: a file part wins over text of the same name; any names, including Object.prototype ones', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.oneof(anyText, fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty')), anyText), { maxLength: 8 }), fc.uint8Array({ minLength: 1, maxLength: 16 }), (pairs, bytes) => {
      const values = new Map<string, string>();
      for (const [k, v] of pairs) if (!values.has(k)) values.set(k, v);
      const p = new MapParams(values, new Map([['image', Buffer.from(bytes)]]));
      for (const [k] of pairs) assert.equal(p.get(k), values.get(k));
      assert.equal(p.get('definitely-not-sent'), undefined);
      assert.deepEqual(findImage(p, ['image']), Buffer.from(bytes));
    }),
    RUNS,
  );
});
