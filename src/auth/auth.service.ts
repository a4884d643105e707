// OAuth 1.0a user-context verification as Twitter did it (reference/twitter-v1.1.md §5,
// clients.md §4): credentials from the Authorization header, or oauth_* in the query or the
// urlencoded body; HMAC-SHA1 over query + urlencoded body + oauth_* (never multipart parts);
// timestamp window, nonce replay, token and application access level.
import { authorizationScheme, parseAuthorizationHeader } from '../oauth1/header.ts';
import { hmacSha1Digest, signingKey, signsAnyOf } from '../oauth1/sign.ts';
import { hmacSha1Ascii, hmacSha1Key, type HmacSha1Key } from '../oauth1/sha1.ts';
import type { Clock } from '../clock.ts';
import type { AppsRepository, TokensRepository } from '../storage/db/apps.repository.ts';
import type { UsersRepository } from '../storage/db/users.repository.ts';
import type { NonceStore } from '../storage/limits/nonce-store.ts';
import type { AccessLevel, AccessToken, App, User } from '../profile/user.ts';
import {
  BadAuthenticationDataError,
  CouldNotAuthenticateError,
  InvalidTokenError,
  TimestampOutOfBoundsError,
  UserContextRequiredError,
} from './errors.ts';

export type Pair = readonly [string, string];

/** What the HTTP layer tells the verifier about one request. */
export interface SignedRequest {
  method: string;
  /** Base URLs (scheme://host[:port]/path) the client may have signed, most likely first. */
  baseUrls: readonly string[];
  authorization: string | undefined;
  /** Decoded query parameters, in order, duplicates kept. */
  query: readonly Pair[];
  /** Decoded application/x-www-form-urlencoded body parameters; empty for other bodies. */
  form: readonly Pair[];
  /** A multipart body: its parts are never signed, and some clients leave out the query too. */
  multipart: boolean;
}

export interface AuthContext {
  user: User;
  app: App;
  token: AccessToken;
  /** The lesser of the application's and the token's access level. */
  accessLevel: AccessLevel;
}

/** A token's signing key (RFC 5849 §3.4.2) and the rows it was made from. */
interface SigningKey {
  readonly app: App;
  readonly token: AccessToken;
  readonly key: string;
  readonly prepared: HmacSha1Key;
}

const REQUIRED = ['oauth_consumer_key', 'oauth_nonce', 'oauth_signature', 'oauth_signature_method', 'oauth_timestamp', 'oauth_token'] as const;
// Generous bounds: they only keep hostile input from costing memory in the nonce store.
const MAX_PARAM_LENGTH = 512;
/** Prepared HMAC keys kept (one per application and token in use), and signing keys per token. */
const MAX_HMAC_KEYS = 10_000;

export class AuthService {
  /** Signing key → its prepared HMAC-SHA1 key: the keyed half of the HMAC, done once per key. */
  private readonly hmacKeys = new Map<string, HmacSha1Key>();
  /** Access token → the signing key last made for it, and the rows it was made from. */
  private readonly signingKeys = new Map<string, SigningKey>();

  constructor(
    private readonly apps: AppsRepository,
    private readonly tokens: TokensRepository,
    private readonly users: UsersRepository,
    private readonly nonces: NonceStore,
    private readonly clock: Clock,
    private readonly skewSeconds: number,
  ) {}

  async authenticate(req: SignedRequest): Promise<AuthContext> {
    const { oauth, fromHeader } = extractOAuthParams(req);

    const method = oauth.get('oauth_signature_method')!;
    if (method !== 'HMAC-SHA1') throw new CouldNotAuthenticateError('unsupported oauth_signature_method');
    const version = oauth.get('oauth_version');
    if (version !== undefined && version !== '1.0') throw new CouldNotAuthenticateError('unsupported oauth_version');
    const timestamp = oauth.get('oauth_timestamp')!;
    if (!/^\d{1,12}$/.test(timestamp)) throw new BadAuthenticationDataError('oauth_timestamp is not a number');

    // Token, application and user in one read (on SQLite from memory, checked against every
    // commit: credentials-cache.ts): a revocation counts at once.
    const consumerKey = oauth.get('oauth_consumer_key')!;
    const found = await this.tokens.findCredentials(oauth.get('oauth_token')!);
    if (!found || found.token.revokedAt !== null || found.app.consumerKey !== consumerKey) {
      // An unknown consumer key is reported as such (32); anything else about the token is 89.
      if (!(await this.apps.findByConsumerKey(consumerKey))) throw new CouldNotAuthenticateError('unknown consumer key');
      throw new InvalidTokenError();
    }
    const { app, token } = found;

    const signing = this.signingKeyOf(app, token);
    const provided = oauth.get('oauth_signature')!;
    if (!signatureVerifies(req, fromHeader, signing.key, signing.prepared, provided)) throw new CouldNotAuthenticateError('signature mismatch');

    const skewMs = this.skewSeconds * 1000;
    if (Math.abs(this.clock.now() - Number(timestamp) * 1000) > skewMs) throw new TimestampOutOfBoundsError();

    const nonceKey = `${app.consumerKey}\u0000${token.token}\u0000${oauth.get('oauth_nonce')}`;
    if (!(await this.nonces.consume(nonceKey, nonceTtlSeconds(Number(timestamp), this.clock.now(), this.skewSeconds)))) {
      throw new CouldNotAuthenticateError('nonce already used');
    }

    const { user } = found;
    if (!user) throw new InvalidTokenError();
    const accessLevel: AccessLevel = app.accessLevel === 'read' || token.accessLevel === 'read' ? 'read' : 'read-write';
    return { user, app, token, accessLevel };
  }

  /**
   * The signing key of a token and its application's secret, prepared. On SQLite the
   * credentials cache hands out the same application and token objects until a row changes, so
   * one lookup by the token (a string whose hash V8 keeps) finds it; otherwise the key is
   * written out and looked up by its text, as every request did before.
   */
  private signingKeyOf(app: App, token: AccessToken): SigningKey {
    const known = this.signingKeys.get(token.token);
    if (known !== undefined && known.app === app && known.token === token) return known;
    const key = signingKey(app.consumerSecret, token.secret);
    let prepared = this.hmacKeys.get(key);
    if (prepared === undefined) {
      prepared = hmacSha1Key(key);
      if (this.hmacKeys.size >= MAX_HMAC_KEYS) this.hmacKeys.delete(this.hmacKeys.keys().next().value!);
      this.hmacKeys.set(key, prepared);
    }
    const made: SigningKey = { app, token, key, prepared };
    if (known === undefined && this.signingKeys.size >= MAX_HMAC_KEYS) this.signingKeys.delete(this.signingKeys.keys().next().value!);
    this.signingKeys.set(token.token, made);
    return made;
  }
}

/** Extra seconds a nonce is kept, for clocks of several nodes that disagree a little (Redis store). */
const NONCE_CLOCK_MARGIN_SECONDS = 5;

/**
 * How long a nonce must be remembered: until its request's timestamp leaves the window
 * (timestamp + skew), after which the timestamp check refuses a replay before the nonce is
 * looked at; plus a small margin for nodes whose clocks differ. Never more than twice the skew
 * (a timestamp from the future end of the window), never less than a second. Only valid after
 * the timestamp check passed.
 */
export function nonceTtlSeconds(timestampSeconds: number, nowMs: number, skewSeconds: number): number {
  const untilOutOfWindow = timestampSeconds + skewSeconds - nowMs / 1000;
  if (!Number.isFinite(untilOutOfWindow)) return 2 * skewSeconds + NONCE_CLOCK_MARGIN_SECONDS;
  return Math.min(2 * skewSeconds + NONCE_CLOCK_MARGIN_SECONDS, Math.max(1, untilOutOfWindow + NONCE_CLOCK_MARGIN_SECONDS));
}

/**
 * Finds the oauth_* parameters. RFC 5849 §3.5 allows the header, the body or the query; the
 * header wins when present (python-twitter-tools never sends one, everybody else does).
 */
export function extractOAuthParams(
  req: SignedRequest,
  opts: { required?: readonly string[]; bearer?: 'user-context' | 'unsupported' } = {},
): { oauth: Map<string, string>; fromHeader: readonly Pair[] | null } {
  let source: readonly Pair[];
  let fromHeader: readonly Pair[] | null = null;
  if (req.authorization !== undefined && req.authorization.trim() !== '') {
    const scheme = authorizationScheme(req.authorization);
    if (scheme === 'bearer' && opts.bearer !== 'unsupported') throw new UserContextRequiredError();
    if (scheme !== 'oauth') throw new BadAuthenticationDataError('unsupported authorization scheme');
    const parsed = parseAuthorizationHeader(req.authorization);
    if (parsed === null) throw new BadAuthenticationDataError('malformed Authorization header');
    // Clients send only oauth_* there; the copy is made only when something else came along.
    source = parsed.every(isOAuthPair) ? parsed : parsed.filter(isOAuthPair);
    fromHeader = source;
  } else {
    source = [...req.query, ...req.form].filter(isOAuthPair);
  }
  const oauth = new Map<string, string>();
  for (const [k, v] of source) {
    const before = oauth.size;
    if (oauth.set(k, v).size === before) throw new BadAuthenticationDataError(`${k} given twice`);
    if (v.length > MAX_PARAM_LENGTH) throw new BadAuthenticationDataError(`${k} is too long`);
  }
  for (const k of opts.required ?? REQUIRED) {
    if (!oauth.get(k)) throw new BadAuthenticationDataError(`${k} is missing`);
  }
  return { oauth, fromHeader };
}

function isOAuthPair(pair: Pair): boolean {
  return pair[0].startsWith('oauth_');
}

/**
 * Tries each base URL the client may have seen, first with the RFC 5849 parameter set; for a
 * multipart request also with the oauth_* parameters alone, because Twitter's media doc told
 * clients not to sign the query there and some follow it (reference §5.2).
 */
function signatureVerifies(req: SignedRequest, fromHeader: readonly Pair[] | null, key: string, prepared: HmacSha1Key, provided: string): boolean {
  const full: Pair[] = [];
  for (const pairs of [fromHeader ?? [], req.query, req.form]) {
    for (const pair of pairs) if (pair[0] !== 'oauth_signature') full.push(pair);
  }
  const sets: Pair[][] = [full];
  if (req.multipart) sets.push(full.filter(isOAuthPair));
  // A base string is ASCII (percent-encoded); node:crypto would take anything else.
  return signsAnyOf(provided, req.method, req.baseUrls, sets, (base) => hmacSha1Ascii(prepared, base) ?? hmacSha1Digest(base, key));
}
