// GET application/rate_limit_status.
import type { FastifyInstance } from 'fastify';
import type { RateLimiter } from '../../../storage/limits/rate-limiter.ts';
import { RateLimitStatusService } from '../../../limits/rate-limit-status.service.ts';
import { rateKey, WINDOW_MS } from '../../plugins/rate-limit.ts';
import type { Clock } from '../../../clock.ts';
import type { RateLimitSettings } from '../../../limits/defaults.ts';
import { GET_LIMITS, registerEndpoint } from './route.ts';

/** Twitter's names in rate_limit_status for the GET endpoints served here. */
const TWITTER_NAMES: Record<keyof typeof GET_LIMITS, string> = {
  'account/verify_credentials': '/account/verify_credentials',
  'users/show': '/users/show/:id',
  'users/profile_banner': '/users/profile_banner',
  'application/rate_limit_status': '/application/rate_limit_status',
};

export function registerApplicationRoutes(app: FastifyInstance, limiter: RateLimiter, clock: Clock, settings: RateLimitSettings): void {
  const service = new RateLimitStatusService(
    limiter,
    (Object.keys(GET_LIMITS) as Array<keyof typeof GET_LIMITS>).map((path) => ({
      family: path.split('/')[0]!,
      name: TWITTER_NAMES[path],
      key: (token: string) => rateKey(token, `/1.1/${path}`),
      limit: settings.limits[path],
    })),
    () => clock.now(),
    WINDOW_MS,
  );
  registerEndpoint(app, {
    method: 'GET',
    path: 'application/rate_limit_status',
    auth: 'user-or-app',
    rateLimit: GET_LIMITS['application/rate_limit_status'],
    handle: async ({ auth, rateSubject, params, req }) => {
      const families = (params.get('resources') ?? '').split(',').map((f) => f.trim()).filter(Boolean);
      return {
        rate_limit_context: auth ? { access_token: auth.token.token } : { application: req.appAuth!.consumerKey },
        resources: await service.status(rateSubject, families),
      };
    },
  });
}
