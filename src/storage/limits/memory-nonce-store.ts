// In-process NonceStore for a single node: an open-addressing hash table (linear probing) in
// typed arrays. A slot holds 64 bits of SHA-1 over a random per-process secret and the key (so
// nobody can choose nonces that collide; the secret's block is hashed once, oauth1/sha1.ts) and
// the key's expiry in ms; no strings are kept, about
// 16 bytes a slot. Expired slots are reused by later inserts. When used slots (live or
// expired) pass MAX_LOAD of the table, it is rebuilt from its live entries (REBUILT_LOAD): it
// grows under a rising rate and shrinks once a burst has expired.
//
// Two different keys share a digest with probability about n / 2^64 for n remembered keys; such
// a collision refuses a fresh nonce (the client retries with another), never accepts a replay.
import crypto from 'node:crypto';
import type { Clock } from '../../clock.ts';
import type { NonceStore } from './nonce-store.ts';
import { keyedDigest64, sha1PrefixState } from '../../oauth1/sha1.ts';

const MIN_CAPACITY = 1024;
/** Rebuild when used slots (live or expired, never emptied) exceed this share of the table. */
const MAX_LOAD = 0.7;
/**
 * A rebuild makes the smallest table that its live entries fill to at most this share: a full
 * table (MAX_LOAD) of live entries grows to twice its size, half as full. (With 0.35, the live
 * entries of a full table asked for just over twice its size, and it grew four times.)
 */
const REBUILT_LOAD = 0.4;

export interface MemoryNonceStoreOptions {
  /** Slots at first (rounded up to a power of two, at least 1024). */
  initialCapacity?: number;
}

export class MemoryNonceStore implements NonceStore {
  private readonly secret = crypto.randomBytes(64);
  /** SHA-1's state after the secret (one block): a key costs only its own blocks. */
  private readonly keyed = sha1PrefixState(this.secret);
  private readonly digest = new Uint32Array(2);
  private hi: Uint32Array;
  private lo: Uint32Array;
  /** Expiry in clock ms; 0 for a slot never used (ends a probe). */
  private expires: Float64Array;
  private mask: number;
  /** Slots with a non-zero expiry, live or expired. */
  private used = 0;

  constructor(
    private readonly clock: Clock,
    opts: MemoryNonceStoreOptions = {},
  ) {
    const capacity = powerOfTwoAtLeast(Math.max(MIN_CAPACITY, opts.initialCapacity ?? MIN_CAPACITY));
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.expires = new Float64Array(capacity);
    this.mask = capacity - 1;
  }

  async consume(key: string, ttlSeconds: number): Promise<boolean> {
    if (!(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) throw new RangeError(`nonce ttl must be positive, got ${ttlSeconds}`);
    const now = this.clock.now();
    this.hash(key);
    return this.insert(this.digest[0]!, this.digest[1]!, now + ttlSeconds * 1000, now);
  }

  /** Slots in the table (for tests and metrics). */
  get capacity(): number {
    return this.mask + 1;
  }

  /** Keys not yet expired. */
  get size(): number {
    const now = this.clock.now();
    let n = 0;
    for (let i = 0; i <= this.mask; i++) if (this.expires[i]! > now) n++;
    return n;
  }

  async close(): Promise<void> {
    this.hi = new Uint32Array(MIN_CAPACITY);
    this.lo = new Uint32Array(MIN_CAPACITY);
    this.expires = new Float64Array(MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
    this.used = 0;
  }

  private hash(key: string): void {
    if (keyedDigest64(this.keyed, key, this.digest)) return;
    // Not ASCII: the same digest of its UTF-8 bytes, from node:crypto.
    const d = crypto.createHash('sha1').update(this.secret).update(key, 'utf8').digest();
    this.digest[0] = d.readUInt32BE(0);
    this.digest[1] = d.readUInt32BE(4);
  }

  /** False when the digest is present and live; otherwise records it and returns true. */
  private insert(h: number, l: number, expires: number, now: number): boolean {
    const { hi, lo, mask } = this;
    const exp = this.expires;
    let i = l & mask;
    let free = -1;
    for (;;) {
      const e = exp[i]!;
      if (e === 0) {
        if (free < 0) {
          free = i;
          this.used++;
        }
        break;
      }
      if (e <= now) {
        // Expired: reusable, but the key may still sit further along the probe sequence.
        if (free < 0) free = i;
      } else if (hi[i] === h && lo[i] === l) {
        return false;
      }
      i = (i + 1) & mask;
    }
    hi[free] = h;
    lo[free] = l;
    exp[free] = expires;
    if (this.used > MAX_LOAD * (mask + 1)) this.rebuild(now);
    return true;
  }

  /** A new table sized for the live entries: larger when most are live, smaller when most expired. */
  private rebuild(now: number): void {
    const { hi, lo } = this;
    const exp = this.expires;
    let live = 0;
    for (let i = 0; i < exp.length; i++) if (exp[i]! > now) live++;
    const capacity = powerOfTwoAtLeast(Math.max(MIN_CAPACITY, Math.ceil(live / REBUILT_LOAD)));
    const nhi = new Uint32Array(capacity);
    const nlo = new Uint32Array(capacity);
    const nexp = new Float64Array(capacity);
    const mask = capacity - 1;
    for (let i = 0; i < exp.length; i++) {
      if (!(exp[i]! > now)) continue;
      let j = lo[i]! & mask;
      while (nexp[j] !== 0) j = (j + 1) & mask;
      nhi[j] = hi[i]!;
      nlo[j] = lo[i]!;
      nexp[j] = exp[i]!;
    }
    this.hi = nhi;
    this.lo = nlo;
    this.expires = nexp;
    this.mask = mask;
    this.used = live;
  }
}

function powerOfTwoAtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
