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
  /**
   * Announces puts that will follow shortly, of keys that do not exist yet (an avatar's
   * variants, while they are encoded): a store may make their entries now, so that each put
   * then only has its bytes to write. `sameAs` names another key of the same call whose put will
   * carry exactly these bytes, as in put(). Optional and best effort: it never fails, and a key
   * it could not prepare is put the usual way. Every prepared key is then either put (with the
   * same `sameAs`, once that key's put has resolved) or deleted, which releases what was prepared.
   */
  prepare?(entries: ReadonlyArray<{ key: string; sameAs?: string | undefined }>): void;
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
