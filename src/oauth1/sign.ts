// HMAC-SHA1 is the only signature method Twitter documented. The comparison step is kept
// here, beside the signing, so that every caller compares in constant time.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { percentEncode } from './percent-encode.ts';
import { signatureBaseString } from './base-string.ts';

const SHA1_BYTES = 20;

/** RFC 5849 §3.4.2: the key still ends in `&` when there is no token secret. */
export function signingKey(consumerSecret: string, tokenSecret: string): string {
  return `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
}

/** The raw HMAC-SHA1, for comparing with signatureBytes (no base64 round trip). */
export function hmacSha1Digest(baseString: string, key: string): Buffer {
  return createHmac('sha1', key).update(baseString, 'utf8').digest();
}

/** The oauth_signature value: the HMAC-SHA1 in base64. */
export function hmacSha1(baseString: string, key: string): string {
  return hmacSha1Digest(baseString, key).toString('base64');
}

// Exactly the base64 texts of 20 bytes: standard alphabet, the one `=` of padding optional.
// Buffer.from(…, 'base64') alone would silently skip invalid characters and accept the
// URL-safe alphabet, so junk could decode to 20 bytes.
const SHA1_BASE64 = /^[A-Za-z0-9+/]{27}=?$/;
const NEVER_EQUAL = Buffer.alloc(SHA1_BYTES);

/** The 20 bytes of a base64 HMAC-SHA1 signature, or null when it is not one. */
export function signatureBytes(text: string): Buffer | null {
  return SHA1_BASE64.test(text) ? Buffer.from(text, 'base64') : null;
}

/**
 * Compares a computed digest with signatureBytes(provided) in constant time. A malformed
 * signature (null) still goes through a full-length comparison, so the response time does not
 * say why a signature was rejected.
 */
export function digestMatches(expected: Buffer, provided: Buffer | null): boolean {
  if (expected.length !== SHA1_BYTES) return false;
  const equal = timingSafeEqual(expected, provided ?? NEVER_EQUAL);
  return equal && provided !== null;
}

/**
 * Whether `provided` (an oauth_signature) is the HMAC-SHA1 of any candidate base string: each
 * base URL the client may have signed, with each parameter set. Every candidate is computed
 * and compared in constant time, with no early exit, so the time taken does not say which one
 * matched or why none did. `digest` is the raw HMAC-SHA1 of a base string under the signing key.
 */
export function signsAnyOf(
  provided: string,
  method: string,
  baseUrls: readonly string[],
  sets: ReadonlyArray<ReadonlyArray<readonly [string, string]>>,
  digest: (baseString: string) => Buffer,
): boolean {
  const providedBytes = signatureBytes(provided);
  let ok = false;
  for (const baseUrl of baseUrls) {
    for (const params of sets) {
      if (digestMatches(digest(signatureBaseString(method, baseUrl, params)), providedBytes)) ok = true;
    }
  }
  return ok;
}
