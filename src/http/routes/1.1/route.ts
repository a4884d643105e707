// Registers a v1.1 endpoint at both spellings clients use: with ".json" (every real client)
// and without (the seed file). Other suffixes, such as ".xml", fall through to 404 / 34.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthContext } from '../../../auth/auth.service.ts';
import type { Params } from '../../../profile/params.ts';
import type { AuthMode } from '../../plugins/request-context.ts';
import { JsonText, toJson } from '../../presenters.ts';

export { GET_LIMITS, POST_LIMIT } from '../../../limits/defaults.ts';

export interface EndpointContext<Mode extends AuthMode = 'user'> {
  /** The user context; null only for app-only (bearer) calls of 'user-or-app' routes. */
  auth: Mode extends 'user' ? AuthContext : AuthContext | null;
  /** Whose rate limits the call counts against (access token, or app for bearer). */
  rateSubject: string;
  params: Params;
  req: FastifyRequest;
  reply: FastifyReply;
}

export interface Endpoint<Mode extends AuthMode = 'user'> {
  method: 'GET' | 'POST';
  /** 'user' (default): OAuth 1.0a user context; 'user-or-app': an app-only bearer token also works. */
  auth?: Mode;
  /** Path under /1.1 without the .json suffix, e.g. "account/verify_credentials". */
  path: string;
  maxUploadBytes?: number;
  /** Requests per 15-minute window and token (reference §6). */
  rateLimit: number;
  /** Returns the JSON value to send (200), or undefined when the handler sent the reply. */
  handle(ctx: EndpointContext<Mode>): Promise<unknown>;
}

export function registerEndpoint<Mode extends AuthMode = 'user'>(app: FastifyInstance, e: Endpoint<Mode>): void {
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    // The auth and params hooks ran first; they set what the mode needs or threw.
    const ctx = { auth: req.auth, rateSubject: req.rateSubject!, params: req.twitterParams!, req, reply } as EndpointContext<Mode>;
    const value = await e.handle(ctx);
    if (value === undefined) return reply;
    return reply.type('application/json; charset=utf-8').send(value instanceof JsonText ? value.text : toJson(value));
  };
  const config = { auth: e.auth ?? ('user' as const), write: e.method === 'POST', maxUploadBytes: e.maxUploadBytes, rateLimit: e.rateLimit };
  for (const url of [`/1.1/${e.path}.json`, `/1.1/${e.path}`]) {
    app.route({ method: e.method, url, config, handler });
  }
}
