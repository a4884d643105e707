// Requests signed by the npm oauth-1.0a package (a real client library, not our own signer),
// for the wire shapes no packaged client makes on demand: wrong secrets, old timestamps,
// replays, parameters in odd places.
import crypto from 'node:crypto';
import OAuth from 'oauth-1.0a';
import type { Credentials } from './server.ts';

export interface SignOptions {
  query?: Record<string, string>;
  /** urlencoded body parameters (signed). */
  form?: Record<string, string>;
  /** A ready body that is not signed (multipart, JSON …) with its content type. */
  body?: RequestInit['body'];
  contentType?: string;
  headers?: Record<string, string>;
  /** Override what goes into the signature. */
  consumerSecret?: string;
  tokenSecret?: string;
  token?: string;
  consumerKey?: string;
  timestamp?: number;
  nonce?: string;
  signatureMethod?: 'HMAC-SHA1' | 'HMAC-SHA256' | 'PLAINTEXT';
  /** The URL used in the signature, when it differs from where the request goes. */
  signedUrl?: string;
  /** Put the oauth_* parameters in the query string instead of the header (python-twitter-tools). */
  oauthInQuery?: boolean;
}

export function oauthClient(c: Credentials, o: SignOptions = {}) {
  const method = o.signatureMethod ?? 'HMAC-SHA1';
  const oauth = new OAuth({
    consumer: { key: o.consumerKey ?? c.consumerKey, secret: o.consumerSecret ?? c.consumerSecret },
    signature_method: method,
    hash_function: (base, key) => crypto.createHmac(method === 'HMAC-SHA256' ? 'sha256' : 'sha1', key).update(base).digest('base64'),
  });
  if (o.timestamp !== undefined) oauth.getTimeStamp = () => o.timestamp!;
  if (o.nonce !== undefined) oauth.getNonce = () => o.nonce!;
  return oauth;
}

/** Builds the URL, headers and body of a signed request without sending it. */
export function signedRequest(base: string, c: Credentials, method: string, path: string, o: SignOptions = {}) {
  const url = new URL(base + path);
  for (const [k, v] of Object.entries(o.query ?? {})) url.searchParams.append(k, v);
  const oauth = oauthClient(c, o);
  const signedUrl = o.signedUrl ? new URL(o.signedUrl + path) : new URL(url.origin + url.pathname);
  // oauth-1.0a mishandles query strings in the URL, so query parameters go in as data.
  const data = { ...(o.query ?? {}), ...(o.form ?? {}) };
  const authData = oauth.authorize(
    { url: signedUrl.origin + signedUrl.pathname, method, data },
    { key: o.token ?? c.token, secret: o.tokenSecret ?? c.tokenSecret },
  );
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.oauthInQuery) {
    for (const [k, v] of Object.entries(authData)) if (k.startsWith('oauth_')) url.searchParams.set(k, String(v));
  } else {
    headers.authorization = oauth.toHeader(authData).Authorization;
  }
  let body: RequestInit['body'] = o.body;
  if (o.form) {
    body = Object.entries(o.form).map(([k, v]) => `${oauth.percentEncode(k)}=${oauth.percentEncode(v)}`).join('&');
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  if (o.contentType) headers['content-type'] = o.contentType;
  return { url, init: { method, headers, body } as RequestInit };
}

export async function signedFetch(base: string, c: Credentials, method: string, path: string, o: SignOptions = {}) {
  const { url, init } = signedRequest(base, c, method, path, o);
  const res = await fetch(url, init);
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
