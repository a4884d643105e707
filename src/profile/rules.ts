// Twitter's value rules for profile fields: colours, booleans, lengths, URLs.
import { AccountUpdateError } from './errors.ts';

/**
 * A colour is 3 or 6 hex digits, optionally after '#' (the colours doc shows "#fff", the
 * update_profile doc "F00"); stored and returned as 6 upper-case digits without '#'.
 */
export function parseColour(raw: string): string | null {
  // "%23" too: a client that percent-encodes the '#' twice still means a colour.
  const m = /^(?:#|%23)?([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$/.exec(raw.trim());
  if (!m || m[1] === undefined) return null;
  const hex = m[1].toUpperCase();
  return hex.length === 3 ? hex.replace(/./g, (d) => d + d) : hex;
}

/** Twitter: "When set to either true, t or 1" — any case (tweepy sends "True"). */
export function isTruthy(raw: string | undefined): boolean {
  return raw !== undefined && /^(true|t|1)$/i.test(raw.trim());
}

/** include_entities is on unless switched off with false (or f / 0). */
export function isFalsy(raw: string | undefined): boolean {
  return raw !== undefined && /^(false|f|0)$/i.test(raw.trim());
}

/** Characters, as Twitter counted them: code points, not UTF-16 units. */
export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

// C0 controls except tab and newline, DEL, and lone surrogates have no place in a profile.
const INVALID_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function checkText(label: string, value: string, max: number): string {
  if (INVALID_CHARS.test(value)) throw new AccountUpdateError(`${label} can't include invalid characters.`);
  if (charLength(value) > max) throw new AccountUpdateError(`${label} is too long (maximum is ${max} characters).`);
  return value;
}

export const LIMITS = { name: 50, url: 100, location: 30, description: 160 } as const;

/**
 * Twitter: the url "will be prepended with http:// if not present". Only http and https are
 * accepted (the seed's "bad URL" error); an empty value clears the URL.
 */
export function normalizeProfileUrl(raw: string): string | null {
  const value = raw.trim();
  if (value === '') return null;
  checkText('Url', value, LIMITS.url);
  const hasScheme = /^[A-Za-z][A-Za-z0-9+.\-]*:/.test(value) && !/^[^:\/]+:\d+(\/|$)/.test(value);
  const candidate = hasScheme ? value : `http://${value}`;
  let u: URL;
  try {
    u = new URL(candidate);
  } catch {
    throw new AccountUpdateError('Url is not a valid URL.');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new AccountUpdateError('Url must start with http:// or https://.');
  }
  if (!u.hostname || /\s/.test(value)) throw new AccountUpdateError('Url is not a valid URL.');
  if (charLength(candidate) > LIMITS.url) {
    throw new AccountUpdateError(`Url is too long (maximum is ${LIMITS.url} characters).`);
  }
  return candidate;
}
