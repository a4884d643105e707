// Registers a v1.1 endpoint at both spellings clients use: with ".json" (every real client)
// and without (the seed file). Other suffixes, such as ".xml", fall through to 404 / 34.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthContext } from '../../../auth/auth.service.ts';
import type { Params } from '../../../profile/params.ts';
import type { AuthMode } from '../../plugins/request-context.ts';
import { JsonText, toJson, JSON_CONTENT_TYPE } from '../../presenters.ts';
import type { RequestOrigin } from '../../media-urls.ts';

export { GET_LIMITS, POST_LIMIT } from '../../../limits/defaults.ts';

/** What every handler gets. */
export interface PlainContext<Mode extends AuthMode = 'user'> {
  /** The user context; null only for app-only (bearer) calls of 'user-or-app' routes. */
  auth: Mode extends 'user' ? AuthContext : AuthContext | null;
  /** Whose rate limits the call counts against (access token, or app for bearer). */
  rateSubject: string;
  params: Params;
  /** The scheme and Host the client used (for the media URLs in a user object). */
  origin: RequestOrigin;
}

/** Handlers that are not `fast` also get Fastify's request and reply. */
export interface EndpointContext<Mode extends AuthMode = 'user'> extends PlainContext<Mode> {
  req: FastifyRequest;
  reply: FastifyReply;
}

interface EndpointBase<Mode extends AuthMode> {
  method: 'GET' | 'POST';
  /** 'user' (default): OAuth 1.0a user context; 'user-or-app': an app-only bearer token also works. */
  auth?: Mode;
  /** Path under /1.1 without the .json suffix, e.g. "account/verify_credentials". */
  path: string;
  maxUploadBytes?: number;
  /** Requests per 15-minute window and token (reference §6). */
  rateLimit: number;
}

/**
 * `fast`: the handler needs nothing of Fastify's and always answers 200 with the JSON it returns,
 * so signed requests with a small urlencoded body (or none) may be served by the fast path
 * (http/fast-path.ts) through the same handler. Otherwise it gets the request and the reply, and
 * returns the JSON value to send (200), or undefined when it sent the reply itself.
 */
export type Endpoint<Mode extends AuthMode = 'user'> = EndpointBase<Mode> & (
  | { fast?: false; handle(ctx: EndpointContext<Mode>): Promise<unknown> }
  | { fast: true; maxUploadBytes?: undefined; handle(ctx: PlainContext<Mode>): Promise<unknown> }
);

/** A fast endpoint as the fast path sees it, under one of its URLs. */
export interface FastRoute {
  method: 'GET' | 'POST';
  /** The URL as registered with Fastify (the metrics' route label). */
  url: string;
  write: boolean;
  rateLimit: number;
  handle(ctx: PlainContext<AuthMode>): Promise<unknown>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Fast endpoints by "METHOD url" (http/fast-path.ts). */
    fastRoutes: Map<string, FastRoute>;
  }
}

/** The body of a successful answer. */
export function jsonBody(value: unknown): string {
  return value instanceof JsonText ? value.text : toJson(value);
}

export function registerEndpoint<Mode extends AuthMode = 'user'>(app: FastifyInstance, e: Endpoint<Mode>): void {
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    // The auth and params hooks ran first; they set what the mode needs or threw.
    const ctx = { auth: req.auth, rateSubject: req.rateSubject!, params: req.twitterParams!, origin: req, req, reply } as EndpointContext<Mode>;
    const value = await (e.handle as (c: EndpointContext<Mode>) => Promise<unknown>)(ctx);
    if (value === undefined) return reply;
    return reply.type(JSON_CONTENT_TYPE).send(jsonBody(value));
  };
  const config = { auth: e.auth ?? ('user' as const), write: e.method === 'POST', maxUploadBytes: e.maxUploadBytes, rateLimit: e.rateLimit };
  for (const url of [`/1.1/${e.path}.json`, `/1.1/${e.path}`]) {
    app.route({ method: e.method, url, config, handler });
    if (e.fast && app.hasDecorator('fastRoutes')) {
      app.fastRoutes.set(`${e.method} ${url}`, {
        method: e.method,
        url,
        write: config.write,
        rateLimit: e.rateLimit,
        handle: e.handle as FastRoute['handle'],
      });
    }
  }
}
