// HMAC-SHA1 is the only signature method Twitter documented. The comparison step is kept
// here, beside the signing, so that every caller compares in constant time.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { percentEncode } from './percent-encode.ts';

const SHA1_BYTES = 20;

/** RFC 5849 §3.4.2: the key still ends in `&` when there is no token secret. */
export function signingKey(consumerSecret: string, tokenSecret: string): string {
  return `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
}

export function hmacSha1(baseString: string, key: string): string {
  return createHmac('sha1', key).update(baseString, 'utf8').digest('base64');
}

/**
 * Standard-alphabet base64, padding optional. Buffer.from(…, 'base64') alone would silently skip
 * invalid characters and accept the URL-safe alphabet, so junk could decode to 20 bytes.
 */
function decodeBase64Strict(text: string): Buffer | null {
  const unpadded = text.replace(/={1,2}$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(unpadded)) return null;
  if (unpadded.length !== text.length && text.length % 4 !== 0) return null;
  if (unpadded.length % 4 === 1) return null;
  return Buffer.from(unpadded, 'base64');
}

/**
 * Compares two base64 HMAC-SHA1 signatures by their decoded bytes in constant time. A malformed
 * or wrong-length signature still goes through a full-length comparison, so the response time
 * does not say why a signature was rejected.
 */
export function signatureMatches(expectedBase64: string, providedBase64: string): boolean {
  const expected = decodeBase64Strict(expectedBase64);
  const provided = decodeBase64Strict(providedBase64);
  const expectedOk = expected !== null && expected.length === SHA1_BYTES;
  const providedOk = provided !== null && provided.length === SHA1_BYTES;
  const left = expectedOk ? expected : Buffer.alloc(SHA1_BYTES);
  const right = providedOk ? provided : Buffer.alloc(SHA1_BYTES, 0xff);
  const equal = timingSafeEqual(left, right);
  return equal && expectedOk && providedOk;
}
