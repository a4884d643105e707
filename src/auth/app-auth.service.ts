// App-only authentication (reference §5.4): POST oauth2/token trades an app's consumer key and
// secret (HTTP Basic) for a bearer token, the same one until it is invalidated; bearer tokens
// then read public data (users/show, rate_limit_status) but never act for a user (403 / 220).
import crypto from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { App } from '../profile/user.ts';
import type { AppsRepository, BearerTokensRepository } from '../storage/db/apps.repository.ts';
import { formDecode, percentDecodeStrict } from '../oauth1/percent-encode.ts';
import { randomBase62 } from './secrets.ts';
import { InvalidTokenError } from './errors.ts';

/** Consumer credentials missing or wrong on oauth2/* (Twitter code 99). */
export class UnverifiableCredentialsError extends Error {
  override name = 'UnverifiableCredentialsError';
}
/** grant_type is not client_credentials (Twitter code 170). */
export class MissingGrantTypeError extends Error {
  override name = 'MissingGrantTypeError';
}

/** Equal-length digests, so the comparison takes the same time whatever the secrets. */
function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => crypto.createHash('sha256').update(s).digest();
  return crypto.timingSafeEqual(h(a), h(b));
}

export class AppAuthService {
  constructor(
    private readonly apps: AppsRepository,
    private readonly bearers: BearerTokensRepository,
    private readonly clock: Clock,
  ) {}

  /** RFC 6749 §2.3.1: Basic base64(urlencode(key) ":" urlencode(secret)). */
  private async appFromBasic(authorization: string | undefined): Promise<App> {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
    if (!m) throw new UnverifiableCredentialsError();
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new UnverifiableCredentialsError();
    const app = await this.apps.findByConsumerKey(formDecode(decoded.slice(0, colon)));
    const secretOk = sameSecret(formDecode(decoded.slice(colon + 1)), app?.consumerSecret ?? '');
    if (!app || !secretOk) throw new UnverifiableCredentialsError();
    return app;
  }

  /** POST oauth2/token. */
  async issue(authorization: string | undefined, grantType: string | undefined): Promise<string> {
    const app = await this.appFromBasic(authorization);
    if (grantType !== 'client_credentials') throw new MissingGrantTypeError();
    const existing = await this.bearers.findActiveForApp(app.id);
    if (existing) return existing;
    // Shaped like Twitter's: a run of A's, then random characters.
    const token = `AAAAAAAAAAAAAAAAAAAAA${randomBase62(90)}`;
    await this.bearers.insert(token, app.id, this.clock.now());
    return token;
  }

  /** POST oauth2/invalidate_token: the app's own token only. */
  async invalidate(authorization: string | undefined, token: string | undefined): Promise<string> {
    const app = await this.appFromBasic(authorization);
    if (!token || !(await this.bearers.revoke(token, app.id, this.clock.now()))) throw new InvalidTokenError();
    return token;
  }

  /** The app behind an "Authorization: Bearer …" header. */
  async authenticate(authorization: string): Promise<App> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    // Twitter's tokens held %-escapes; clients send them as they got them.
    const token = m ? (percentDecodeStrict(m[1]!) ?? '') : '';
    const appId = token ? await this.bearers.findApp(token) : undefined;
    const app = appId ? await this.apps.findById(appId) : undefined;
    if (!app) throw new InvalidTokenError();
    return app;
  }
}
