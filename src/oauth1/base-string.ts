// The signature base string (RFC 5849 §3.4.1) has to be rebuilt on the server exactly as the
// client built it: a single differing byte in the URL or parameter string makes every
// correctly signed request fail.

import { percentEncode } from './percent-encode.ts';

const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443' };

/**
 * RFC 5849 §3.4.1.2 base string URI. `host` is as in the Host header (optionally with a port,
 * IPv6 literals in brackets); `path` is the raw, still percent-encoded request path.
 */
export function normalizeBaseUrl(scheme: string, host: string, path: string): string {
  // Tolerate the `https:` form that URL.protocol gives.
  const lowerScheme = scheme.toLowerCase().replace(/:$/, '');
  const lowerHost = host.toLowerCase();

  let hostname = lowerHost;
  let port = '';
  if (lowerHost.startsWith('[')) {
    const close = lowerHost.indexOf(']');
    if (close >= 0 && lowerHost[close + 1] === ':') {
      hostname = lowerHost.slice(0, close + 1);
      port = lowerHost.slice(close + 2);
    }
  } else {
    const colon = lowerHost.lastIndexOf(':');
    // More than one colon without brackets is a bare IPv6 address, not host:port.
    if (colon >= 0 && lowerHost.indexOf(':') === colon) {
      hostname = lowerHost.slice(0, colon);
      port = lowerHost.slice(colon + 1);
    }
  }
  // Clients sign the port as a number, so `:0443` means 443.
  if (/^\d+$/.test(port)) port = String(Number.parseInt(port, 10));
  const keepPort = port !== '' && port !== DEFAULT_PORTS[lowerScheme];

  // A `?` always starts the query in a request target, so it is never part of the path;
  // an empty path is `/` for http(s) (RFC 3986 §6.2.3).
  const queryStart = path.indexOf('?');
  const bare = queryStart < 0 ? path : path.slice(0, queryStart);
  const normalizedPath = bare === '' ? '/' : bare;

  return `${lowerScheme}://${hostname}${keepPort ? `:${port}` : ''}${normalizedPath}`;
}

/** Plain code-unit comparison: encoded strings are ASCII, so this is byte order, locale-free. */
function compareAscii(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** percentEncode of an already percent-encoded string: only its `%` need escaping. */
function reencode(encoded: string): string {
  return encoded.includes('%') ? encoded.replaceAll('%', '%25') : encoded;
}

/** The last base string's first two parts (`METHOD&encoded URL&`): most requests repeat them. */
let lastMethod = '';
let lastBaseUrl = '';
let lastHead = '';

function head(method: string, baseUrl: string): string {
  if (method !== lastMethod || baseUrl !== lastBaseUrl) {
    lastHead = `${method.toUpperCase()}&${percentEncode(baseUrl)}&`;
    lastMethod = method;
    lastBaseUrl = baseUrl;
  }
  return lastHead;
}

/** The order of two encoded pairs: by name, then by value (RFC 5849 §3.4.1.3.2). */
function comparePairs(k1: string, v1: string, k2: string, v2: string): number {
  return compareAscii(k1, k2) || compareAscii(v1, v2);
}

/**
 * RFC 5849 §3.4.1 base string. `params` are decoded pairs from the query, the urlencoded body
 * and the OAuth parameters, with oauth_signature already removed by the caller.
 */
export function signatureBaseString(
  method: string,
  baseUrl: string,
  params: ReadonlyArray<readonly [string, string]>,
): string {
  const n = params.length;
  const keys = new Array<string>(n);
  const values = new Array<string>(n);
  // Clients usually send their parameters already in order; then nothing is sorted.
  let sorted = true;
  for (let i = 0; i < n; i++) {
    const pair = params[i]!;
    keys[i] = percentEncode(pair[0]);
    values[i] = percentEncode(pair[1]);
    if (sorted && i > 0 && comparePairs(keys[i - 1]!, values[i - 1]!, keys[i]!, values[i]!) > 0) sorted = false;
  }
  const order = sorted ? null : Array.from({ length: n }, (_, i) => i).sort((a, b) => comparePairs(keys[a]!, values[a]!, keys[b]!, values[b]!));
  // The parameter string is percent-encoded once more as a whole. Its pieces are already
  // encoded (unreserved characters and %XX only), so that second pass only turns each `%` into
  // `%25`, and the `=` and `&` joining them into `%3D` and `%26`: written directly here.
  let out = head(method, baseUrl);
  for (let j = 0; j < n; j++) {
    const i = order === null ? j : order[j]!;
    out += `${j === 0 ? '' : '%26'}${reencode(keys[i]!)}%3D${reencode(values[i]!)}`;
  }
  return out;
}
