// Operations endpoints, outside the Twitter API: liveness, readiness and Prometheus metrics.
//   GET /healthz  the process answers (no store is asked; cheap enough for a tight probe)
//   GET /readyz   every configured store answers within its time limit: 200, else 503 naming
//                 what is down (load balancers take the node out of rotation meanwhile)
//   GET /metrics  Prometheus text format; served only when PLUMAGE_METRICS_TOKEN is set, and
//                 then only to requests carrying "Authorization: Bearer <that token>"
// None of them takes OAuth credentials or counts against rate limits.
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../observability/metrics.ts';
import { checkReadiness, type ReadinessCheck } from '../../observability/readiness.ts';
import { PageNotFoundError, errorBody } from '../twitter-errors.ts';
import { JSON_CONTENT_TYPE } from '../presenters.ts';

function digest(s: string): Buffer {
  return crypto.createHash('sha256').update(s).digest();
}

/** Constant-time comparison of a presented bearer token with the configured one. */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  const m = /^Bearer +(\S+)$/i.exec(header?.trim() ?? '');
  return crypto.timingSafeEqual(digest(m?.[1] ?? ''), digest(expected)) && m !== null;
}

export function registerOpsRoutes(
  app: FastifyInstance,
  o: { metrics: Metrics; readiness: readonly ReadinessCheck[]; metricsToken: string | null },
): void {
  const noStore = { 'cache-control': 'no-store' };

  app.get('/healthz', async (_req, reply) => {
    return reply.headers(noStore).type(JSON_CONTENT_TYPE).send(JSON.stringify({ status: 'ok' }));
  });

  app.get('/readyz', async (_req, reply) => {
    const r = await checkReadiness(o.readiness);
    const body = r.ready ? { status: 'ok', checks: r.checks } : { status: 'unavailable', down: r.down, checks: r.checks };
    return reply.code(r.ready ? 200 : 503).headers(noStore).type(JSON_CONTENT_TYPE).send(JSON.stringify(body));
  });

  app.get('/metrics', async (req, reply) => {
    // Off unless configured: indistinguishable from any unknown path.
    if (o.metricsToken === null) throw new PageNotFoundError();
    if (!bearerMatches(req.headers.authorization, o.metricsToken)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="plumage-metrics"')
        .type(JSON_CONTENT_TYPE)
        .send(errorBody({ code: 89, message: 'Invalid or expired token.' }));
    }
    const text = await o.metrics.text();
    return reply.headers(noStore).type(o.metrics.contentType).send(text);
  });
}
