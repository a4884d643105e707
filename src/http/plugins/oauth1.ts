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

function splitUrl(raw: string): { path: string; query: string } {
  const q = raw.indexOf('?');
  return q === -1 ? { path: raw, query: '' } : { path: raw.slice(0, q), query: raw.slice(q + 1) };
}

/** The base URLs a client may have signed: the configured public URL, then what it sent us. */
function baseUrls(req: FastifyRequest, config: Config, path: string): string[] {
  const seen = new Set<string>();
  if (config.publicUrlExplicit) {
    const u = new URL(config.publicUrl);
    seen.add(normalizeBaseUrl(u.protocol.slice(0, -1), u.host, u.pathname.replace(/\/$/, '') + path));
  }
  // request.protocol and request.host follow X-Forwarded-* only when trustProxy is on.
  const host = req.host;
  if (host) seen.add(normalizeBaseUrl(req.protocol, host, path));
  return [...seen];
}

export function describeSignedRequest(req: FastifyRequest, config: Config): SignedRequest {
  const { path, query } = splitUrl(req.raw.url ?? '/');
  return {
    method: req.method,
    baseUrls: baseUrls(req, config, path),
    authorization: req.headers.authorization,
    query: parseFormPairs(query),
    form: req.body instanceof FormBody ? req.body.pairs : [],
    multipart: req.isMultipart(),
  };
}

export function registerOAuth(app: FastifyInstance, auth: AuthService, appAuth: AppAuthService, config: Config): void {
  app.decorateRequest('auth', null);
  app.decorateRequest('appAuth', null);
  app.decorateRequest('rateSubject', null);
  app.addHook('preHandler', async (req, reply) => {
    const cfg = req.routeOptions.config;
    if (cfg.auth === undefined) return;
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
    reply.header('x-access-level', ctx.accessLevel);
    if (cfg.write && ctx.accessLevel !== 'read-write') throw new ReadOnlyApplicationError();
  });
}
