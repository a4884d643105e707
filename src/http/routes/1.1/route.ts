// Registers a v1.1 endpoint at both spellings clients use: with ".json" (every real client)
// and without (the seed file). Other suffixes, such as ".xml", fall through to 404 / 34.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthContext } from '../../../auth/auth.service.ts';
import type { Params } from '../../../profile/params.ts';
import { toJson } from '../../presenters.ts';

/**
 * Twitter never published numbers for its POST account endpoints ("account limits"); this is
 * Plumage's ceiling per token and 15 minutes. GET limits are Twitter's 2018+ figures.
 */
export const POST_LIMIT = 300;

/** GET ceilings per 15 minutes and token (Twitter's 2018+ figures); rate_limit_status lists them. */
export const GET_LIMITS = {
  'account/verify_credentials': 75,
  'users/show': 900,
  'users/profile_banner': 180,
  'application/rate_limit_status': 180,
} as const;

export interface EndpointContext {
  auth: AuthContext;
  params: Params;
  req: FastifyRequest;
  reply: FastifyReply;
}

export interface Endpoint {
  method: 'GET' | 'POST';
  /** Path under /1.1 without the .json suffix, e.g. "account/verify_credentials". */
  path: string;
  maxUploadBytes?: number;
  /** Requests per 15-minute window and token (reference §6). */
  rateLimit: number;
  /** Returns the JSON value to send (200), or undefined when the handler sent the reply. */
  handle(ctx: EndpointContext): Promise<unknown>;
}

export function registerEndpoint(app: FastifyInstance, e: Endpoint): void {
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    // The auth and params hooks ran first; they set both or threw.
    const value = await e.handle({ auth: req.auth!, params: req.twitterParams!, req, reply });
    if (value === undefined) return reply;
    return reply.type('application/json; charset=utf-8').send(toJson(value));
  };
  const config = { auth: 'user' as const, write: e.method === 'POST', maxUploadBytes: e.maxUploadBytes, rateLimit: e.rateLimit };
  for (const url of [`/1.1/${e.path}.json`, `/1.1/${e.path}`]) {
    app.route({ method: e.method, url, config, handler });
  }
}
