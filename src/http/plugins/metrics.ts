// Feeds the Prometheus instruments from the request life cycle: every response by method,
// route PATTERN and status (never the raw URL), 429s by endpoint, authentication failures by
// Twitter code. Image timings and upload sizes come from the instrumented image processor.
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../observability/metrics.ts';
import { AuthError } from '../../auth/errors.ts';
import { UnverifiableCredentialsError } from '../../auth/app-auth.service.ts';
import { RateLimitExceededError } from './rate-limit.ts';
import { toTwitterError } from '../twitter-errors.ts';

/** Requests that matched no route share one label, whatever their path. */
export const UNMATCHED_ROUTE = '(unmatched)';

export function registerMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onError', async (req, _reply, error) => {
    if (error instanceof RateLimitExceededError) {
      metrics.rateLimitRejections.inc({ endpoint: req.routeOptions.url ?? UNMATCHED_ROUTE });
    } else if (error instanceof AuthError || error instanceof UnverifiableCredentialsError) {
      const t = toTwitterError(error);
      if (t) metrics.authFailures.inc({ code: String(t.code) });
    }
  });
  // Callback style: no promise per response.
  app.addHook('onResponse', (req, reply, done) => {
    metrics.recordRequest(req.method, req.routeOptions.url ?? UNMATCHED_ROUTE, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
