// Port: where image bytes live. Keys are immutable: a key is written once, read many times,
// deleted when nothing references it (DESIGN rule 5). Adapters only do I/O.
import type { Readable } from 'node:stream';

export interface StoredBlob {
  stream: Readable;
  size: number;
}

export interface BlobStore {
  /**
   * Stores `bytes` under a new key. `sameAs`, when given, is a key whose put has resolved and
   * that holds exactly these bytes (an avatar's original and its 400x400 square are often the
   * same encode): the store may share that blob's storage instead of writing the bytes again.
   */
  put(key: string, bytes: Buffer, contentType: string, sameAs?: string): Promise<void>;
  /** null when there is no such blob. */
  open(key: string): Promise<StoredBlob | null>;
  /** Deleting a missing key is not an error. */
  delete(keys: readonly string[]): Promise<void>;
  /** Every key under a prefix ("" for all), in no particular order. */
  list(prefix: string): AsyncIterable<string>;
}

/** Keys are plain relative paths: no "..", no empty segments, a small alphabet. */
export function isSafeKey(key: string): boolean {
  return /^[A-Za-z0-9_\-]+(\/[A-Za-z0-9_\-][A-Za-z0-9_.\-]*)*$/.test(key) && !key.split('/').some((s) => s === '.' || s === '..');
}
