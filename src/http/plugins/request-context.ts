// What the plugins attach to a request, and the per-route options they read.
import type { AuthContext } from '../../auth/auth.service.ts';
import type { App } from '../../profile/user.ts';
import type { Params } from '../../profile/params.ts';

/** What credentials a route takes. */
export type AuthMode = 'user' | 'user-or-app';

declare module 'fastify' {
  interface FastifyRequest {
    /** The user context, for OAuth 1.0a requests. */
    auth: AuthContext | null;
    /** The application, for app-only (bearer) requests on routes that allow them. */
    appAuth: App | null;
    /** Whose rate limits a request counts against: the access token, or the app for bearer. */
    rateSubject: string | null;
    twitterParams: Params | null;
  }
  interface FastifyContextConfig {
    /** 'user': OAuth 1.0a user context required; 'user-or-app': a bearer token will do too. */
    auth?: AuthMode;
    /** A write: refused for read-only applications (403 / 261). */
    write?: boolean;
    /** Requests per 15-minute window and access token; none when undefined. */
    rateLimit?: number;
    /** Largest image this route accepts, in decoded bytes (multipart parts stop one byte later). */
    maxUploadBytes?: number;
  }
}

export {};
