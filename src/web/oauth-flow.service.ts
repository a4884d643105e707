// The OAuth 1.0a three-legged flow as Twitter had it (reference/twitter-v1.1.md §5.5):
// request_token signed with the consumer alone, the user's Allow or Deny in the browser, and
// access_token signed with the request token and carrying the oauth_verifier (a PIN for oob).
import crypto from 'node:crypto';
import type { Clock } from '../clock.ts';
import { extractOAuthParams, nonceTtlSeconds, type SignedRequest } from '../auth/auth.service.ts';
import { BadAuthenticationDataError, CouldNotAuthenticateError, InvalidTokenError, TimestampOutOfBoundsError } from '../auth/errors.ts';
import { hmacSha1Digest, signingKey, signsAnyOf } from '../oauth1/sign.ts';
import { randomBase62 } from '../auth/secrets.ts';
import type { AppsRepository, TokensRepository } from '../storage/db/apps.repository.ts';
import type { UsersRepository } from '../storage/db/users.repository.ts';
import type { NonceStore } from '../storage/limits/nonce-store.ts';
import type { AccessLevel, AccessToken, App, User } from '../profile/user.ts';
import type { RequestToken, WebRepository } from './web.repository.ts';
import { sameSecret } from './web-auth.service.ts';

const CONSUMER_ONLY = ['oauth_consumer_key', 'oauth_nonce', 'oauth_signature', 'oauth_signature_method', 'oauth_timestamp'];
const WITH_TOKEN = [...CONSUMER_ONLY, 'oauth_token'];

/** Request tokens live this long (Twitter's were short-lived too). */
export const REQUEST_TOKEN_TTL_MS = 15 * 60 * 1000;

/** An OAuth endpoint refusal that is not one of the API's authentication errors. */
export class OAuthFlowError extends Error {
  override name = 'OAuthFlowError';
  constructor(readonly status: number, readonly code: number, message: string) {
    super(message);
  }
}
export const CALLBACK_NOT_APPROVED = () =>
  new OAuthFlowError(403, 415, 'Callback URL not approved for this client application. Approved callback URLs can be adjusted in your application settings');

type Pair = readonly [string, string];

/** Checks an http(s) callback URL; returns it normalised or null. */
export function parseCallbackUrl(raw: string): URL | null {
  try {
    const u = new URL(raw);
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password || !u.hostname) return null;
    return u;
  } catch {
    return null;
  }
}

/** A callback is approved when it has the registered URL's origin and starts with its path. */
export function callbackApproved(registered: string | undefined, given: URL): boolean {
  if (registered === undefined) return false;
  const r = parseCallbackUrl(registered);
  if (!r) return false;
  return r.origin === given.origin && given.pathname.startsWith(r.pathname);
}

export interface PendingAuthorisation {
  request: RequestToken;
  app: App;
}

export type Decision =
  | { kind: 'redirect'; location: string }
  | { kind: 'pin'; pin: string; app: App }
  | { kind: 'denied-oob'; app: App };

export class OAuthFlowService {
  constructor(
    private readonly repo: WebRepository,
    private readonly apps: AppsRepository,
    private readonly tokens: TokensRepository,
    private readonly users: UsersRepository,
    private readonly nonces: NonceStore,
    private readonly clock: Clock,
    private readonly skewSeconds: number,
  ) {}

  /** POST oauth/request_token. */
  async requestToken(req: SignedRequest): Promise<{ token: string; secret: string }> {
    const { oauth, all } = this.extract(req, false);
    const app = await this.apps.findByConsumerKey(oauth.get('oauth_consumer_key')!);
    if (!app) throw new CouldNotAuthenticateError('unknown consumer key');
    await this.verify(req, oauth, signingKey(app.consumerSecret, ''), `${app.consumerKey}\u0000`);

    // Clients that sign with a header may still send oauth_callback in the body (it is signed either way).
    const callback = oauth.get('oauth_callback') ?? all.find(([k]) => k === 'oauth_callback')?.[1];
    if (!callback) throw new OAuthFlowError(400, 38, 'oauth_callback parameter is missing. Give a callback URL or "oob".');
    if (callback !== 'oob') {
      const u = parseCallbackUrl(callback);
      if (!u || !callbackApproved(await this.repo.callback(app.id), u)) throw CALLBACK_NOT_APPROVED();
    }
    const requested = all.find(([k]) => k === 'x_auth_access_type')?.[1];
    if (requested !== undefined && requested !== 'read' && requested !== 'write') {
      throw new OAuthFlowError(400, 38, 'x_auth_access_type must be read or write.');
    }
    const accessLevel: AccessLevel = app.accessLevel === 'read' || requested === 'read' ? 'read' : 'read-write';
    const now = this.clock.now();
    await this.repo.deleteExpiredRequestTokens(now);
    const t: RequestToken = {
      token: randomBase62(32),
      secret: randomBase62(40),
      appId: app.id,
      callback,
      accessLevel,
      userId: null,
      verifier: null,
      createdAt: now,
      expiresAt: now + REQUEST_TOKEN_TTL_MS,
    };
    await this.repo.insertRequestToken(t);
    return { token: t.token, secret: t.secret };
  }

  /** The request token behind /oauth/authorize, if it is still pending. */
  async pending(token: string | undefined): Promise<PendingAuthorisation | null> {
    if (!token || token.length > 128) return null;
    const request = await this.repo.findRequestToken(token, this.clock.now());
    if (!request || request.userId !== null) return null;
    const app = await this.apps.findById(request.appId);
    return app ? { request, app } : null;
  }

  /** Whether the user already allowed this app (authenticate skips the question then). */
  async alreadyAllowed(p: PendingAuthorisation, user: User): Promise<boolean> {
    const existing = await this.tokens.findActive(p.app.id, user.id);
    return existing !== undefined && (existing.accessLevel === p.request.accessLevel || existing.accessLevel === 'read-write');
  }

  async allow(p: PendingAuthorisation, user: User): Promise<Decision | null> {
    const oob = p.request.callback === 'oob';
    const verifier = oob ? String(crypto.randomInt(0, 10_000_000)).padStart(7, '0') : randomBase62(32);
    if (!(await this.repo.approveRequestToken(p.request.token, user.id, verifier, this.clock.now()))) return null;
    if (oob) return { kind: 'pin', pin: verifier, app: p.app };
    return { kind: 'redirect', location: withQuery(p.request.callback, [['oauth_token', p.request.token], ['oauth_verifier', verifier]]) };
  }

  async deny(p: PendingAuthorisation): Promise<Decision> {
    await this.repo.takeRequestToken(p.request.token);
    if (p.request.callback === 'oob') return { kind: 'denied-oob', app: p.app };
    return { kind: 'redirect', location: withQuery(p.request.callback, [['denied', p.request.token]]) };
  }

  /** POST oauth/access_token: one use per request token; a wrong verifier burns it. */
  async accessToken(req: SignedRequest): Promise<{ token: AccessToken; user: User }> {
    const { oauth, all } = this.extract(req, true);
    const app = await this.apps.findByConsumerKey(oauth.get('oauth_consumer_key')!);
    if (!app) throw new CouldNotAuthenticateError('unknown consumer key');
    const request = await this.repo.findRequestToken(oauth.get('oauth_token')!, this.clock.now());
    if (!request || request.appId !== app.id) throw new InvalidTokenError();
    await this.verify(req, oauth, signingKey(app.consumerSecret, request.secret), `${app.consumerKey}\u0000${request.token}`);

    const verifier = oauth.get('oauth_verifier') ?? all.find(([k]) => k === 'oauth_verifier')?.[1];
    if (!verifier) throw new OAuthFlowError(401, 32, 'Could not authenticate you. The oauth_verifier parameter is missing.');
    const taken = await this.repo.takeRequestToken(request.token);
    if (!taken || taken.userId === null || taken.verifier === null) throw new InvalidTokenError();
    if (!sameSecret(verifier.trim(), taken.verifier)) throw new OAuthFlowError(401, 32, 'Could not authenticate you. The oauth_verifier is wrong; start again.');

    const user = await this.users.findById(taken.userId);
    if (!user) throw new InvalidTokenError();
    // Twitter handed the same token back when a user allowed an app again.
    const existing = await this.tokens.findActive(app.id, user.id);
    if (existing && existing.accessLevel === taken.accessLevel) return { token: existing, user };
    const token: AccessToken = {
      token: `${user.id}-${randomBase62(40)}`,
      secret: randomBase62(45),
      appId: app.id,
      userId: user.id,
      accessLevel: taken.accessLevel,
      createdAt: this.clock.now(),
      revokedAt: null,
    };
    await this.tokens.insert(token);
    return { token, user };
  }

  /** oauth_* from the header (which wins) or the query and body, as the API does (RFC 5849 §3.5). */
  private extract(req: SignedRequest, needToken: boolean): { oauth: Map<string, string>; all: Pair[] } {
    // A bearer token is no way to ask for a user's token: refused like any other scheme.
    const { oauth, fromHeader } = extractOAuthParams(req, { required: needToken ? WITH_TOKEN : CONSUMER_ONLY, bearer: 'unsupported' });
    if (oauth.get('oauth_signature_method') !== 'HMAC-SHA1') throw new CouldNotAuthenticateError('unsupported oauth_signature_method');
    const version = oauth.get('oauth_version');
    if (version !== undefined && version !== '1.0') throw new CouldNotAuthenticateError('unsupported oauth_version');
    if (!/^\d{1,12}$/.test(oauth.get('oauth_timestamp')!)) throw new BadAuthenticationDataError('oauth_timestamp is not a number');
    return { oauth, all: [...(fromHeader ?? []), ...req.query, ...req.form] };
  }

  private async verify(req: SignedRequest, oauth: Map<string, string>, key: string, noncePrefix: string): Promise<void> {
    const header = req.authorization ? [...oauth.entries()] : [];
    const rest = [...req.query, ...req.form];
    const full = [...header, ...rest].filter(([k]) => k !== 'oauth_signature');
    // The oauth-1.0a package puts an oauth_* value it was given as data (oauth_callback,
    // oauth_verifier) in the header as well as in the body, and signs it once.
    const once = [...header, ...rest.filter(([k, v]) => !(k.startsWith('oauth_') && oauth.get(k) === v && header.length > 0))].filter(([k]) => k !== 'oauth_signature');
    const sets = once.length === full.length ? [full] : [full, once];
    if (!signsAnyOf(oauth.get('oauth_signature')!, req.method, req.baseUrls, sets, (base) => hmacSha1Digest(base, key))) {
      throw new CouldNotAuthenticateError('signature mismatch');
    }
    if (Math.abs(this.clock.now() - Number(oauth.get('oauth_timestamp')) * 1000) > this.skewSeconds * 1000) throw new TimestampOutOfBoundsError();
    const ttl = nonceTtlSeconds(Number(oauth.get('oauth_timestamp')), this.clock.now(), this.skewSeconds);
    if (!(await this.nonces.consume(`${noncePrefix}\u0000${oauth.get('oauth_nonce')}`, ttl))) {
      throw new CouldNotAuthenticateError('nonce already used');
    }
  }
}

function withQuery(url: string, pairs: ReadonlyArray<readonly [string, string]>): string {
  const u = new URL(url);
  for (const [k, v] of pairs) u.searchParams.set(k, v);
  return u.toString();
}
