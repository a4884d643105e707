// Authenticates every route whose config names an auth mode, before its body parts are read:
// a request that fails here never costs an upload. TLS policy and access level live here too.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService, SignedRequest } from '../../auth/auth.service.ts';
import type { AppAuthService } from '../../auth/app-auth.service.ts';
import { authorizationScheme } from '../../oauth1/header.ts';
import { ReadOnlyApplicationError, SslRequiredError } from '../../auth/errors.ts';
import { parseFormPairs } from '../../oauth1/percent-encode.ts';
import { normalizeBaseUrl } from '../../oauth1/base-string.ts';
import type { Config } from '../../config.ts';
import { FormBody } from './body-parsers.ts';
import type { AuthContext } from '../../auth/auth.service.ts';
import { handoffOf } from '../handoff.ts';

function splitUrl(raw: string): { path: string; query: string } {
  const q = raw.indexOf('?');
  return q === -1 ? { path: raw, query: '' } : { path: raw.slice(0, q), query: raw.slice(q + 1) };
}

/** What the verifier needs of a request, as Fastify's request and the fast path both know it. */
export interface RequestFacts {
  method: string;
  /** The request target as sent (path and query). */
  rawUrl: string;
  /** Scheme and Host: those of the client, or X-Forwarded-* when trustProxy is on. */
  protocol: string;
  host: string | undefined;
  authorization: string | undefined;
  form: ReadonlyArray<readonly [string, string]>;
  multipart: boolean;
}

/** The configured public URL, parsed once per configuration. */
const publicUrls = new WeakMap<Config, { scheme: string; host: string; prefix: string }>();
function publicUrlOf(config: Config): { scheme: string; host: string; prefix: string } {
  let p = publicUrls.get(config);
  if (p === undefined) {
    const u = new URL(config.publicUrl);
    p = { scheme: u.protocol.slice(0, -1), host: u.host, prefix: u.pathname.replace(/\/$/, '') };
    publicUrls.set(config, p);
  }
  return p;
}

/** The base URLs a client may have signed: the configured public URL, then what it sent us. */
function baseUrls(f: RequestFacts, config: Config, path: string): string[] {
  const urls: string[] = [];
  if (config.publicUrlExplicit) {
    const p = publicUrlOf(config);
    urls.push(normalizeBaseUrl(p.scheme, p.host, p.prefix + path));
  }
  if (f.host) {
    const fromRequest = normalizeBaseUrl(f.protocol, f.host, path);
    if (!urls.includes(fromRequest)) urls.push(fromRequest);
  }
  return urls;
}

export function signedRequestOf(f: RequestFacts, config: Config): SignedRequest {
  const { path, query } = splitUrl(f.rawUrl);
  return {
    method: f.method,
    baseUrls: baseUrls(f, config, path),
    authorization: f.authorization,
    query: parseFormPairs(query),
    form: f.form,
    multipart: f.multipart,
  };
}

export function describeSignedRequest(req: FastifyRequest, config: Config): SignedRequest {
  // request.protocol and request.host follow X-Forwarded-* only when trustProxy is on.
  return signedRequestOf({
    method: req.method,
    rawUrl: req.raw.url ?? '/',
    protocol: req.protocol,
    host: req.host,
    authorization: req.headers.authorization,
    form: req.body instanceof FormBody ? req.body.pairs : [],
    multipart: req.isMultipart(),
  }, config);
}

/** The header that tells the client its access level, sent once authentication succeeded. */
export const ACCESS_LEVEL_HEADER = 'x-access-level';

/** Refuses a write by a read-only application or token (403 / 261). */
export function checkAccessLevel(ctx: AuthContext, write: boolean | undefined): void {
  if (write && ctx.accessLevel !== 'read-write') throw new ReadOnlyApplicationError();
}

export function registerOAuth(app: FastifyInstance, auth: AuthService, appAuth: AppAuthService, config: Config): void {
  app.decorateRequest('auth', null);
  app.decorateRequest('appAuth', null);
  app.decorateRequest('rateSubject', null);
  app.addHook('preHandler', async (req, reply) => {
    const cfg = req.routeOptions.config;
    if (cfg.auth === undefined) return;
    const handoff = handoffOf(req.raw);
    if (handoff) {
      for (const [name, value] of handoff.headers) reply.header(name, value);
      throw handoff.error;
    }
    if (config.requireTls && req.protocol !== 'https') throw new SslRequiredError();
    const header = req.headers.authorization;
    if (cfg.auth === 'user-or-app' && header !== undefined && authorizationScheme(header) === 'bearer') {
      const client = await appAuth.authenticate(header);
      req.appAuth = client;
      req.rateSubject = `app:${client.consumerKey}`;
      return;
    }
    const ctx = await auth.authenticate(describeSignedRequest(req, config));
    req.auth = ctx;
    req.rateSubject = ctx.token.token;
    reply.header(ACCESS_LEVEL_HEADER, ctx.accessLevel);
    checkAccessLevel(ctx, cfg.write);
  });
}
