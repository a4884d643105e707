// 64-bit, time-ordered ids in Twitter's snowflake layout: 41 bits of milliseconds since
// Twitter's epoch, 10 bits of worker, 12 bits of sequence. Kept as decimal strings everywhere
// because most of them exceed 2^53 and a JavaScript number would round them.
import crypto from 'node:crypto';
import type { Clock } from './clock.ts';

const TWEPOCH = 1288834974657n;

export class IdGenerator {
  private lastMs = -1n;
  private seq = 0n;
  private readonly worker: bigint;

  constructor(private readonly clock: Clock, worker?: number) {
    // A random worker id keeps two nodes from minting the same id in the same millisecond.
    this.worker = BigInt(worker ?? crypto.randomInt(0, 1024)) & 0x3ffn;
  }

  next(): string {
    let ms = BigInt(this.clock.now()) - TWEPOCH;
    if (ms <= this.lastMs) {
      // Same millisecond, or the clock went back: stay monotonic by borrowing from the sequence.
      ms = this.lastMs;
      this.seq = (this.seq + 1n) & 0xfffn;
      if (this.seq === 0n) ms += 1n;
    } else {
      this.seq = 0n;
    }
    this.lastMs = ms;
    return ((ms << 22n) | (this.worker << 12n) | this.seq).toString();
  }
}

/** Milliseconds since the Unix epoch encoded in a snowflake id. */
export function idTimestamp(id: string): number {
  return Number((BigInt(id) >> 22n) + TWEPOCH);
}

export function isIdString(s: string): boolean {
  return /^[1-9][0-9]{0,18}$/.test(s) && BigInt(s) < 2n ** 63n;
}
