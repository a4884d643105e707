// Twitter's rate limits (reference §6): per access token (per app for bearer) and endpoint, 15-minute windows,
// x-rate-limit-limit / -remaining / -reset (epoch seconds) on every limited response, and
// 429 code 88 "Rate limit exceeded" past the ceiling. Runs after authentication, before the
// body is read.
import type { FastifyInstance } from 'fastify';
import type { RateLimiter } from '../../storage/limits/rate-limiter.ts';
import type { RateLimitedEndpoint, RateLimitSettings } from '../../limits/defaults.ts';

export class RateLimitExceededError extends Error {
  override name = 'RateLimitExceededError';
}

export const WINDOW_MS = 15 * 60 * 1000;

/** One counter per token and endpoint, whatever the spelling (.json or not). */
export function rateKey(token: string, path: string): string {
  return `${token}\u0000${path.replace(/\.json$/, '')}`;
}

/** "/1.1/users/show.json" → "users/show", the name PLUMAGE_RATE_LIMITS uses. */
export function endpointName(routeUrl: string): string {
  return routeUrl.replace(/^\/1\.1\//, '').replace(/\.json$/, '');
}

/**
 * Counts one request of `subject` against the route (`routeUrl` as registered) and returns the
 * x-rate-limit-* headers, and whether the request is over the limit.
 */
export async function countRequest(
  limiter: RateLimiter,
  settings: RateLimitSettings,
  subject: string,
  routeUrl: string,
  routeDefault: number,
): Promise<{ headers: Array<[string, string]>; exceeded: boolean }> {
  const limit = settings.limits[endpointName(routeUrl) as RateLimitedEndpoint] ?? routeDefault;
  const w = await limiter.hit(rateKey(subject, routeUrl), WINDOW_MS);
  return {
    headers: [
      ['x-rate-limit-limit', String(limit)],
      ['x-rate-limit-remaining', String(Math.max(0, limit - w.count))],
      ['x-rate-limit-reset', String(Math.ceil(w.resetAt / 1000))],
    ],
    exceeded: w.count > limit,
  };
}

export function registerRateLimit(app: FastifyInstance, limiter: RateLimiter, settings: RateLimitSettings): void {
  if (!settings.enabled) return;
  app.addHook('preHandler', async (req, reply) => {
    const routeDefault = req.routeOptions.config.rateLimit;
    if (routeDefault === undefined || req.rateSubject === null) return;
    const { headers, exceeded } = await countRequest(limiter, settings, req.rateSubject, req.routeOptions.url ?? '', routeDefault);
    for (const [name, value] of headers) reply.header(name, value);
    if (exceeded) throw new RateLimitExceededError();
  });
}
