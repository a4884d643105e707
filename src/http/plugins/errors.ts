// The one error handler: every failure leaves as {"errors":[{"code":N,"message":"..."}]} with
// Twitter's status. Client mistakes keep their 4xx; anything unexpected is logged and answered
// 500 / 131 without details.
import type { FastifyInstance } from 'fastify';
import { INTERNAL_ERROR, OVER_CAPACITY, PageNotFoundError, errorBody, toTwitterError, type TwitterError } from '../twitter-errors.ts';
import { storageOutage } from '../../storage/unavailable.ts';
import { JSON_CONTENT_TYPE } from '../presenters.ts';

/** Fastify's own client errors (bad framing, limits, unknown media types) keep their status. */
function frameworkError(e: { statusCode?: number; code?: string; message: string }): TwitterError | undefined {
  const status = e.statusCode;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  if (status === 413) return { status: 413, code: 193, message: 'The request body is too large.' };
  if (status === 431 || status === 414) return { status, code: 193, message: 'The request line or headers are too large.' };
  return { status: 400, code: 214, message: 'Bad request.' };
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler(async () => {
    throw new PageNotFoundError();
  });
  app.setErrorHandler(async (error, req, reply) => {
    let t = toTwitterError(error) ?? frameworkError(error as never);
    const outage = t === undefined ? storageOutage(error) : null;
    if (outage !== null) {
      req.log.error({ store: outage, reason: (error as Error).message }, `${outage} unreachable: answering 503 until it is back`);
      t = OVER_CAPACITY;
    } else if (t === undefined) {
      req.log.error({ err: error }, 'unhandled error');
      t = INTERNAL_ERROR;
    } else if (t.code === OVER_CAPACITY.code) {
      // Shedding load is the plan working, not a fault: one quiet line per refusal.
      req.log.warn(`${(error as Error).message}: answered 503 / 130`);
    } else if (t.status >= 500) {
      req.log.error({ err: error }, t.message);
    }
    return reply.code(t.status).type(JSON_CONTENT_TYPE).send(errorBody(t));
  });
}
