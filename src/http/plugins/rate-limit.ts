// Twitter's rate limits (reference §6): per access token and endpoint, 15-minute windows,
// x-rate-limit-limit / -remaining / -reset (epoch seconds) on every limited response, and
// 429 code 88 "Rate limit exceeded" past the ceiling. Runs after authentication, before the
// body is read.
import type { FastifyInstance } from 'fastify';
import type { RateLimiter } from '../../storage/limits/rate-limiter.ts';

export class RateLimitExceededError extends Error {
  override name = 'RateLimitExceededError';
}

export const WINDOW_MS = 15 * 60 * 1000;

export function registerRateLimit(app: FastifyInstance, limiter: RateLimiter): void {
  app.addHook('preHandler', async (req, reply) => {
    const limit = req.routeOptions.config.rateLimit;
    if (limit === undefined || req.auth === null) return;
    // One counter per endpoint whatever the spelling (.json or not).
    const endpoint = (req.routeOptions.url ?? '').replace(/\.json$/, '');
    const w = await limiter.hit(`${req.auth.token.token}\u0000${endpoint}`, WINDOW_MS);
    reply.header('x-rate-limit-limit', String(limit));
    reply.header('x-rate-limit-remaining', String(Math.max(0, limit - w.count)));
    reply.header('x-rate-limit-reset', String(Math.ceil(w.resetAt / 1000)));
    if (w.count > limit) throw new RateLimitExceededError();
  });
}
