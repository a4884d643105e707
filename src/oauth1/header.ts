// Real Twitter clients format the `Authorization: OAuth …` header differently: `", "` or `","`
// between parameters, any order, percent-encoded values (Net::Twitter's nonces carry %2B/%2F).
// This parser accepts all of those, but returns null for anything it cannot read unambiguously,
// so that a header it misread can never be treated as valid.

import { percentDecodeStrict } from './percent-encode.ts';

// RFC 9110 token characters, used for the scheme and for parameter names; by character code.
const TOKEN_CHARS = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_CHARS[c.charCodeAt(0)] = 1;
// Unquoted values are read more loosely than a token: clients that leave the quotes off
// still send raw base64 (`/`, `=`) in oauth_signature.
const BARE_VALUE = /[^\s",\\]*/y;

function matchAt(pattern: RegExp, text: string, at: number): string {
  pattern.lastIndex = at;
  const m = pattern.exec(text);
  return m ? m[0] : '';
}

/** The token starting at `at` (empty when there is none). */
function tokenAt(text: string, at: number): string {
  let end = at;
  for (let c = text.charCodeAt(end); c < 128 && TOKEN_CHARS[c] === 1; c = text.charCodeAt(++end));
  return text.slice(at, end);
}

/** The index after the spaces and tabs (optional whitespace) starting at `at`. */
function skipOws(text: string, at: number): number {
  let i = at;
  for (let c = text.charCodeAt(i); c === 0x20 || c === 0x09; c = text.charCodeAt(++i));
  return i;
}

export function authorizationScheme(value: string): string {
  const trimmed = value.trimStart();
  const end = trimmed.search(/\s/);
  return (end < 0 ? trimmed : trimmed.slice(0, end)).toLowerCase();
}

/**
 * Parses an `OAuth` Authorization header into decoded [key, value] pairs in the order sent,
 * duplicates included (the verifier decides what duplicates mean). `realm` is dropped: RFC 5849
 * §3.4.1.3.1 excludes it from the signature. Null when the scheme is not OAuth or the header is
 * malformed.
 */
export function parseAuthorizationHeader(value: string): Array<[string, string]> | null {
  const text = value.trim();
  const scheme = tokenAt(text, 0);
  if (scheme.toLowerCase() !== 'oauth') return null;
  let i = scheme.length;
  if (i < text.length && !/[ \t]/.test(text.charAt(i))) return null;

  const pairs: Array<[string, string]> = [];
  // Escapes are rare: without a backslash anywhere, no quoted value needs looking at twice.
  const escapes = text.includes('\\');
  // Empty list elements (`a="1",,b="2"`) are legal in HTTP lists (RFC 9110 §5.6.1).
  let needSeparator = false;
  for (;;) {
    i = skipOws(text, i);
    if (i >= text.length) break;
    if (text[i] === ',') {
      i += 1;
      needSeparator = false;
      continue;
    }
    if (needSeparator) return null;

    const rawKey = tokenAt(text, i);
    if (rawKey === '') return null;
    i = skipOws(text, i + rawKey.length);
    if (text[i] !== '=') return null;
    i = skipOws(text, i + 1);

    let rawValue: string;
    const close = text[i] === '"' ? text.indexOf('"', i + 1) : -1;
    if (close >= 0 && (!escapes || !text.slice(i + 1, close).includes('\\'))) {
      // The common case: a quoted value without escapes.
      rawValue = text.slice(i + 1, close);
      i = close + 1;
    } else if (text[i] === '"') {
      i += 1;
      rawValue = '';
      for (;;) {
        const ch = text[i];
        if (ch === undefined) return null;
        i += 1;
        if (ch === '"') break;
        if (ch === '\\') {
          const escaped = text[i];
          if (escaped === undefined) return null;
          rawValue += escaped;
          i += 1;
        } else {
          rawValue += ch;
        }
      }
    } else {
      rawValue = matchAt(BARE_VALUE, text, i);
      i += rawValue.length;
      // A quote or backslash right after a bare value means unbalanced quoting.
      if (text[i] === '"' || text[i] === '\\') return null;
    }
    needSeparator = true;

    // realm is free text, not percent-encoded, so it must not fail the decoding below.
    if (rawKey.length === 5 && rawKey.toLowerCase() === 'realm') continue;
    const key = percentDecodeStrict(rawKey);
    const decoded = percentDecodeStrict(rawValue);
    if (key === null || decoded === null) return null;
    pairs.push([key, decoded]);
  }
  return pairs;
}
