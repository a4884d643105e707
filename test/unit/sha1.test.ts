// The SHA-1 of oauth1/sha1.ts against node:crypto: HMAC-SHA1 for every message length across
// several blocks (the padding's edge cases sit at 55, 56 and 64 bytes), keys shorter and longer
// than a block, and the keyed 64-bit digest of the nonce store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { hmacSha1Ascii, hmacSha1Key, keyedDigest64, sha1PrefixState } from '../../src/oauth1/sha1.ts';
import { mulberry32 } from '../helpers/seeded-random.ts';

const random = mulberry32(0x51a1);
function ascii(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(Math.floor(random() * 128));
  return s;
}

test('HMAC-SHA1 of ASCII equals node:crypto for every length up to four blocks and keys of 0 to 130 bytes', () => {
  for (const keyLength of [0, 1, 20, 63, 64, 65, 96, 130]) {
    const key = ascii(keyLength);
    const prepared = hmacSha1Key(key);
    for (let length = 0; length <= 260; length++) {
      const message = ascii(length);
      const expected = crypto.createHmac('sha1', key).update(message, 'utf8').digest();
      assert.deepEqual(hmacSha1Ascii(prepared, message), expected, `key ${keyLength} bytes, message ${length} bytes`);
    }
  }
});

test('HMAC-SHA1 of long random base strings and UTF-8 keys equals node:crypto', () => {
  for (let i = 0; i < 300; i++) {
    const key = `${ascii(30 + Math.floor(random() * 40))}é&${ascii(40)}`;
    const message = ascii(Math.floor(random() * 5000));
    assert.deepEqual(hmacSha1Ascii(hmacSha1Key(key), message), crypto.createHmac('sha1', key).update(message).digest());
  }
  // RFC 2202 test case 2.
  assert.equal(hmacSha1Ascii(hmacSha1Key('Jefe'), 'what do ya want for nothing?')!.toString('hex'), 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79');
});

test('a message that is not ASCII is left to node:crypto (null)', () => {
  const prepared = hmacSha1Key('key');
  assert.equal(hmacSha1Ascii(prepared, 'caf\u00e9'), null);
  assert.equal(hmacSha1Ascii(prepared, `${'a'.repeat(100)}\u{1F600}`), null);
  assert.equal(hmacSha1Ascii(prepared, '\u0080'), null);
  assert.notEqual(hmacSha1Ascii(prepared, '\u007f'), null);
});

test('the keyed 64-bit digest is the first 8 bytes of SHA-1(secret ‖ message)', () => {
  const secret = crypto.randomBytes(64);
  const state = sha1PrefixState(secret);
  const out = new Uint32Array(2);
  for (let length = 0; length <= 200; length++) {
    const message = ascii(length);
    assert.equal(keyedDigest64(state, message, out), true);
    const d = crypto.createHash('sha1').update(secret).update(message).digest();
    assert.deepEqual([...out], [d.readUInt32BE(0), d.readUInt32BE(4)], `message ${length} bytes`);
  }
  assert.equal(keyedDigest64(state, 'n\u00f6nce', out), false);
  assert.throws(() => sha1PrefixState(crypto.randomBytes(16)), RangeError);
});

test('messages that begin as the previous one did (the remembered first blocks) hash as node:crypto does', () => {
  const key = `${ascii(50)}&${ascii(45)}`;
  const prepared = hmacSha1Key(key);
  const secret = crypto.randomBytes(64);
  const keyed = sha1PrefixState(secret);
  const out = new Uint32Array(2);
  const check = (message: string, what: string) => {
    const expected = crypto.createHmac('sha1', key).update(message, 'utf8').digest();
    assert.deepEqual(hmacSha1Ascii(prepared, message), expected, what);
    assert.equal(keyedDigest64(keyed, message, out), true, what);
    const d = crypto.createHash('sha1').update(secret).update(message).digest();
    assert.deepEqual([...out], [d.readUInt32BE(0), d.readUInt32BE(4)], what);
  };
  const shared = ascii(128);
  const other = ascii(128);
  for (let round = 0; round < 3; round++) {
    for (const length of [0, 1, 55, 63, 64, 65, 100, 127, 128, 129, 183, 184, 191, 192, 193, 300, 700]) {
      check(shared.slice(0, length) + ascii(Math.max(0, length - 128)), `shared prefix, ${length} bytes`);
      check(shared + ascii(length), `shared prefix + ${length} bytes`);
      if (length % 2 === 0) check(other + ascii(length), `another prefix + ${length} bytes`);
      // The same first block, a different second one.
      check(shared.slice(0, 64) + other.slice(64) + ascii(length), `first block shared + ${length} bytes`);
    }
  }
  // Remembered blocks never answer for a message that is not ASCII, however its characters' low bits read.
  check(shared + 'abc', 'remember the shared prefix');
  const aliased = String.fromCharCode(shared.charCodeAt(0) | 0x100) + shared.slice(1) + 'abc';
  assert.equal(hmacSha1Ascii(prepared, aliased), null);
  assert.equal(keyedDigest64(keyed, aliased, out), false);
  assert.equal(hmacSha1Ascii(prepared, `${shared}caf\u00e9`), null);
  assert.equal(keyedDigest64(keyed, `${shared}caf\u00e9`, out), false);
  check(shared + 'abcd', 'after the refusals');
});

test('a message that is not remembered (too short, or not ASCII) leaves no half-remembered blocks behind', () => {
  const key = `${ascii(50)}&${ascii(45)}`;
  const prepared = hmacSha1Key(key);
  const hmac = (m: string) => crypto.createHmac('sha1', key).update(m, 'utf8').digest();
  const a = ascii(300);
  const b = ascii(100);
  // A is remembered; B, shorter than two blocks, overwrites the first block's words as it goes.
  assert.deepEqual(hmacSha1Ascii(prepared, a), hmac(a));
  assert.deepEqual(hmacSha1Ascii(prepared, b), hmac(b));
  const c = b.slice(0, 64) + a.slice(64, 128) + ascii(50);
  assert.deepEqual(hmacSha1Ascii(prepared, c), hmac(c), 'B\'s first block with A\'s second');
  // D, with another beginning and a character outside ASCII after its first two blocks.
  const d = `${ascii(128)}caf\u00e9`;
  assert.deepEqual(hmacSha1Ascii(prepared, a), hmac(a));
  assert.equal(hmacSha1Ascii(prepared, d), null);
  const e = d.slice(0, 128) + ascii(40);
  assert.deepEqual(hmacSha1Ascii(prepared, e), hmac(e), 'D\'s beginning, then ASCII');
  // The same for the keyed digest (one block remembered).
  const secret = crypto.randomBytes(64);
  const keyed = sha1PrefixState(secret);
  const out = new Uint32Array(2);
  const digest = (m: string) => {
    const h = crypto.createHash('sha1').update(secret).update(m).digest();
    return [h.readUInt32BE(0), h.readUInt32BE(4)];
  };
  const f = ascii(200);
  assert.equal(keyedDigest64(keyed, f, out), true);
  assert.deepEqual([...out], digest(f));
  const g = `${ascii(64)}n\u00f6nce`;
  assert.equal(keyedDigest64(keyed, g, out), false);
  const h = g.slice(0, 64) + ascii(30);
  assert.equal(keyedDigest64(keyed, h, out), true);
  assert.deepEqual([...out], digest(h), 'G\'s first block, then ASCII');
});
