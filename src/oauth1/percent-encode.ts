// OAuth 1.0a signatures are computed over a byte-exact re-encoding of every parameter
// (RFC 5849 §3.6), which differs from encodeURIComponent (`!*'()` stay bare there, and it
// throws on lone surrogates) and from form encoding (space as `+`). Incoming query strings and
// urlencoded bodies must be decoded leniently first, because one bad byte from a client has to
// end in a 401, not an exception.

const HEX = '0123456789ABCDEF';

// Indexed by byte: the byte itself when RFC 3986 leaves it unreserved, else its %XX form.
const BYTE_TO_ENCODED: readonly string[] = Array.from({ length: 256 }, (_, byte) => {
  const ch = String.fromCharCode(byte);
  return /^[A-Za-z0-9\-._~]$/.test(ch) ? ch : `%${HEX[byte >> 4]}${HEX[byte & 0x0f]}`;
});

const ALL_UNRESERVED = /^[A-Za-z0-9\-._~]*$/;

// TextEncoder turns lone surrogates into U+FFFD instead of throwing.
const utf8Encoder = new TextEncoder();

export function percentEncode(value: string): string {
  // Most OAuth values (nonces, tokens, timestamps) need no encoding at all.
  if (ALL_UNRESERVED.test(value)) return value;
  // Native encoding is far faster on large values (a base64 banner is megabytes); it differs
  // from RFC 3986 only in leaving !'()* bare, and it throws on lone surrogates.
  try {
    return encodeURIComponent(value).replace(/[!'()*]/g, (c) => BYTE_TO_ENCODED[c.charCodeAt(0)]!);
  } catch {
    // Lone surrogates: the byte loop below encodes them as U+FFFD.
  }
  let out = '';
  for (const byte of utf8Encoder.encode(value)) out += BYTE_TO_ENCODED[byte];
  return out;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/** Byte at `text[i..i+3]` if it is a well-formed `%XX`, else -1. */
function escapedByteAt(text: string, i: number): number {
  if (text.charCodeAt(i) !== 0x25 || i + 2 >= text.length) return -1;
  const hi = hexValue(text.charCodeAt(i + 1));
  const lo = hexValue(text.charCodeAt(i + 2));
  return hi < 0 || lo < 0 ? -1 : (hi << 4) | lo;
}

/**
 * Length in bytes of the well-formed UTF-8 sequence starting at bytes[start], or 0.
 * Follows the Unicode "well-formed UTF-8" table, so overlongs, surrogates and code points
 * above U+10FFFF count as malformed.
 */
function utf8SequenceLength(bytes: readonly number[], start: number): number {
  const b0 = bytes[start];
  if (b0 === undefined) return 0;
  if (b0 < 0x80) return 1;
  let length: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) length = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3;
    if (b0 === 0xe0) lo = 0xa0;
    if (b0 === 0xed) hi = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4;
    if (b0 === 0xf0) lo = 0x90;
    if (b0 === 0xf4) hi = 0x8f;
  } else return 0;
  for (let k = 1; k < length; k++) {
    const b = bytes[start + k];
    if (b === undefined) return 0;
    if (k === 1 ? b < lo || b > hi : b < 0x80 || b > 0xbf) return 0;
  }
  return length;
}

const utf8Decoder = new TextDecoder('utf-8');

/**
 * Percent-decodes `text` without throwing. Escapes that are not `%XX`, or whose bytes do not
 * form well-formed UTF-8, are kept as the literal characters that were sent. `strict` reports
 * such leftovers as null instead.
 */
export function percentDecodeLenient(text: string, strict: boolean): string | null {
  if (!text.includes('%')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text.charCodeAt(i);
    if (ch !== 0x25) {
      const next = text.indexOf('%', i);
      const end = next < 0 ? text.length : next;
      out += text.slice(i, end);
      i = end;
      continue;
    }
    // Gather the whole run of %XX escapes: multi-byte characters span several of them.
    const bytes: number[] = [];
    let j = i;
    for (let byte = escapedByteAt(text, j); byte >= 0; byte = escapedByteAt(text, j)) {
      bytes.push(byte);
      j += 3;
    }
    if (bytes.length === 0) {
      if (strict) return null;
      out += '%';
      i += 1;
      continue;
    }
    let k = 0;
    while (k < bytes.length) {
      const length = utf8SequenceLength(bytes, k);
      if (length === 0) {
        if (strict) return null;
        // Each escape is exactly 3 characters, so byte k came from text[i + 3k .. i + 3k + 3].
        out += text.slice(i + 3 * k, i + 3 * k + 3);
        k += 1;
      } else {
        out += utf8Decoder.decode(Uint8Array.from(bytes.slice(k, k + length)));
        k += length;
      }
    }
    i = j;
  }
  return out;
}

/**
 * RFC 3986 percent-decoding for Authorization header parameters, where `+` is a literal plus.
 * Returns null on any malformed escape or invalid UTF-8, so the header can be rejected.
 */
export function percentDecodeStrict(text: string): string | null {
  if (!text.includes('%')) return text;
  try {
    // Native decoding accepts exactly the well-formed escapes of well-formed UTF-8 (ECMA-262
    // Decode throws on anything else), which is what strict decoding returns.
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** Decodes one application/x-www-form-urlencoded (or query-string) component. */
export function formDecode(component: string): string {
  // `+` is replaced before decoding so that an encoded `%2B` survives as a literal plus.
  const spaced = component.replaceAll('+', ' ');
  if (!spaced.includes('%')) return spaced;
  try {
    // Native decoding for well-formed input (fast on megabytes of base64); it throws exactly
    // where the lenient decoder has to keep the text as it is.
    return decodeURIComponent(spaced);
  } catch {
    return percentDecodeLenient(spaced, false) ?? '';
  }
}

/** Splits a query string or urlencoded body into decoded pairs, keeping order and duplicates. */
export function parseFormPairs(raw: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const piece of raw.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    if (eq < 0) pairs.push([formDecode(piece), '']);
    else pairs.push([formDecode(piece.slice(0, eq)), formDecode(piece.slice(eq + 1))]);
  }
  return pairs;
}
