// SHA-1 (FIPS 180-4) over ASCII strings, for the two hashes every signed request needs: the
// HMAC-SHA1 of its signature base string and the keyed digest of its nonce. node:crypto gives
// the same results, but each of its hashes is an object made, keyed and finalised through
// several calls into C++; on a 2-core VM the HMAC's set-up alone cost more than the hashing.
// Here the keyed part is done once per key (the padded key's first block is a saved state) and
// a request costs only its own blocks, in JavaScript, with no allocation but the result.
//
// Only ASCII is hashed here (a base string is percent-encoded, so it always is); anything else
// returns null and the caller uses node:crypto. The hashing has no branch and no memory access
// that depends on the data, only on its length; the one branch on data is whether a message
// begins as the previous one under the same key did (LeadingBlocks), which says nothing about the
// key: those first blocks are the method, the URL and the client's public identifiers.
// test/unit/sha1.test.ts checks it against node:crypto for every length up to several blocks,
// for random keys and messages, and for messages that share their first blocks.
import crypto from 'node:crypto';

const BLOCK = 64;
const IV = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0);
// The message schedule, reused by every call (JavaScript runs one call at a time).
const W = new Int32Array(80);

/** One 64-byte block (W[0..15], big-endian words) into the state H. */
function compress(H: Int32Array): void {
  for (let t = 16; t < 80; t++) {
    const x = W[t - 3]! ^ W[t - 8]! ^ W[t - 14]! ^ W[t - 16]!;
    W[t] = (x << 1) | (x >>> 31);
  }
  let a = H[0]!;
  let b = H[1]!;
  let c = H[2]!;
  let d = H[3]!;
  let e = H[4]!;
  let t = 0;
  for (; t < 20; t++) {
    const n = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + W[t]!) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = n;
  }
  for (; t < 40; t++) {
    const n = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + W[t]!) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = n;
  }
  for (; t < 60; t++) {
    const n = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + (0x8f1bbcdc | 0) + W[t]!) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = n;
  }
  for (; t < 80; t++) {
    const n = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + (0xca62c1d6 | 0) + W[t]!) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = n;
  }
  H[0] = (H[0]! + a) | 0;
  H[1] = (H[1]! + b) | 0;
  H[2] = (H[2]! + c) | 0;
  H[3] = (H[3]! + d) | 0;
  H[4] = (H[4]! + e) | 0;
}

/**
 * What a message's first blocks hashed to, kept so that the next message beginning with the
 * same bytes starts from there. A client signs request after request that differ only from the
 * nonce on (its base strings begin with the method, the URL and its consumer key), and its
 * nonce digests begin with its consumer key and token: those blocks are hashed once. The
 * words are kept, not the text, so that no request's string is kept alive.
 */
export class LeadingBlocks {
  /** The message's first `chars` characters as big-endian words; valid when `valid`. */
  private readonly words: Int32Array;
  private readonly pending = new Int32Array(5);
  readonly state = new Int32Array(5);
  valid = false;

  constructor(readonly chars: number) {
    this.words = new Int32Array(chars / 4);
  }

  /** Whether `message` is ASCII and begins with the remembered characters. */
  matches(message: string): boolean {
    if (!this.valid || message.length < this.chars) return false;
    const words = this.words;
    let any = 0;
    for (let w = 0; w < words.length; w++) {
      const p = 4 * w;
      const c0 = message.charCodeAt(p);
      const c1 = message.charCodeAt(p + 1);
      const c2 = message.charCodeAt(p + 2);
      const c3 = message.charCodeAt(p + 3);
      any |= c0 | c1 | c2 | c3;
      if (((c0 << 24) | (c1 << 16) | (c2 << 8) | c3) !== words[w]) return false;
    }
    return (any & ~0x7f) === 0;
  }

  /** Called by finishAscii after compressing the block of `message[end - 64, end)` (its words still in W) into H. */
  sawBlock(end: number, H: Int32Array): void {
    if (end > this.chars) return;
    this.words.set(W.subarray(0, 16), (end - BLOCK) / 4);
    if (end === this.chars) this.pending.set(H);
  }

  /** Called once the message is known to be ASCII and at least `chars` long. */
  keep(): void {
    this.state.set(this.pending);
    this.valid = true;
  }
}

/**
 * Continues the state `from` (which has hashed `hashed` bytes, a multiple of 64, ending with
 * `message[0..start)`) over the rest of the ASCII string `message` and finishes it into `H`.
 * False when `message` is not ASCII. With `memo`, the first blocks are remembered.
 */
function finishAscii(from: Int32Array, hashed: number, message: string, start: number, H: Int32Array, memo: LeadingBlocks | null): boolean {
  H.set(from);
  // Its words are overwritten below: remembered again only if this message may be.
  if (memo !== null) memo.valid = false;
  const n = message.length;
  let nonAscii = 0;
  let i = start;
  for (; i + BLOCK <= n; i += BLOCK) {
    for (let w = 0; w < 16; w++) {
      const p = i + 4 * w;
      const c0 = message.charCodeAt(p);
      const c1 = message.charCodeAt(p + 1);
      const c2 = message.charCodeAt(p + 2);
      const c3 = message.charCodeAt(p + 3);
      nonAscii |= c0 | c1 | c2 | c3;
      W[w] = (c0 << 24) | (c1 << 16) | (c2 << 8) | c3;
    }
    compress(H);
    if (memo !== null) memo.sawBlock(i + BLOCK, H);
  }
  // The last bytes, the 0x80 marker, zeros, and the length in bits.
  const rest = n - i;
  W.fill(0, 0, 16);
  for (let j = 0; j < rest; j++) {
    const c = message.charCodeAt(i + j);
    nonAscii |= c;
    W[j >> 2] = W[j >> 2]! | (c << (24 - 8 * (j & 3)));
  }
  W[rest >> 2] = W[rest >> 2]! | (0x80 << (24 - 8 * (rest & 3)));
  if (rest >= BLOCK - 8) {
    compress(H);
    W.fill(0, 0, 16);
  }
  const bits = (hashed + n - start) * 8;
  W[14] = Math.floor(bits / 0x100000000);
  W[15] = bits | 0;
  compress(H);
  const ascii = (nonAscii & ~0x7f) === 0;
  if (ascii && memo !== null && n >= memo.chars) memo.keep();
  return ascii;
}

/** SHA-1 over (one block already in `from`) ‖ message, from the memo when it fits. */
function hashAfterBlock(from: Int32Array, memo: LeadingBlocks, message: string, H: Int32Array): boolean {
  if (memo.matches(message)) return finishAscii(memo.state, BLOCK + memo.chars, message, memo.chars, H, null);
  return finishAscii(from, BLOCK, message, 0, H, memo);
}

/** The state after one block of `bytes` (at most 64) padded with zeros, each byte XOR `pad`. */
function blockState(bytes: Uint8Array, pad: number): Int32Array {
  const H = IV.slice();
  for (let w = 0; w < 16; w++) {
    let word = 0;
    for (let j = 0; j < 4; j++) word = (word << 8) | ((bytes[4 * w + j] ?? 0) ^ pad);
    W[w] = word;
  }
  compress(H);
  return H;
}

/** An HMAC-SHA1 key, ready: the states after its inner and outer padded blocks (RFC 2104). */
export interface HmacSha1Key {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
  /** The first two blocks of the last base string signed with it (method, URL, consumer key). */
  readonly memo: LeadingBlocks;
}

export function hmacSha1Key(key: string): HmacSha1Key {
  let bytes: Uint8Array = Buffer.from(key, 'utf8');
  if (bytes.length > BLOCK) bytes = crypto.createHash('sha1').update(bytes).digest();
  return { inner: blockState(bytes, 0x36), outer: blockState(bytes, 0x5c), memo: new LeadingBlocks(2 * BLOCK) };
}

const INNER = new Int32Array(5);
const OUTER = new Int32Array(5);

/** HMAC-SHA1 of an ASCII message (20 bytes), or null when the message is not ASCII. */
export function hmacSha1Ascii(key: HmacSha1Key, message: string): Buffer | null {
  if (!hashAfterBlock(key.inner, key.memo, message, INNER)) return null;
  OUTER.set(key.outer);
  W.fill(0, 0, 16);
  W.set(INNER, 0);
  W[5] = 0x80000000 | 0;
  W[15] = (BLOCK + 20) * 8;
  compress(OUTER);
  return wordsToBuffer(OUTER);
}

/** A SHA-1 state after a random prefix block, and the memo of the messages digested after it. */
export interface KeyedSha1 {
  readonly state: Int32Array;
  readonly memo: LeadingBlocks;
}

/** SHA-1 keyed by a random prefix of exactly one block (for digests nobody can predict). */
export function sha1PrefixState(prefix: Uint8Array): KeyedSha1 {
  if (prefix.length !== BLOCK) throw new RangeError(`the prefix must be ${BLOCK} bytes`);
  return { state: blockState(prefix, 0), memo: new LeadingBlocks(BLOCK) };
}

/**
 * The first 64 bits of SHA-1(prefix ‖ message) as two words, into `out`; false (and `out`
 * unchanged) when the message is not ASCII.
 */
export function keyedDigest64(keyed: KeyedSha1, message: string, out: Uint32Array): boolean {
  if (!hashAfterBlock(keyed.state, keyed.memo, message, INNER)) return false;
  out[0] = INNER[0]!;
  out[1] = INNER[1]!;
  return true;
}

function wordsToBuffer(H: Int32Array): Buffer {
  const out = Buffer.allocUnsafe(20);
  for (let j = 0; j < 5; j++) out.writeInt32BE(H[j]!, 4 * j);
  return out;
}
