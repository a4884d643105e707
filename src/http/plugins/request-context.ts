// What the plugins attach to a request, and the per-route options they read.
import type { AuthContext } from '../../auth/auth.service.ts';
import type { Params } from '../../profile/params.ts';

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
    twitterParams: Params | null;
  }
  interface FastifyContextConfig {
    /** 'user': OAuth 1.0a user context required (every /1.1 route here). */
    auth?: 'user';
    /** A write: refused for read-only applications (403 / 261). */
    write?: boolean;
    /** Requests per 15-minute window and access token; none when undefined. */
    rateLimit?: number;
    /** Largest image this route accepts, in decoded bytes (multipart parts stop one byte later). */
    maxUploadBytes?: number;
  }
}

export {};
