// Load shedding for a saturated process: when the event loop's mean delay over the last second
// exceeds PLUMAGE_MAX_EVENT_LOOP_DELAY, every request is answered at once with Twitter's
// 503 / 130 "Over capacity" (and Retry-After) before its body is read, instead of queueing
// behind work the process cannot keep up with. Measured by @fastify/under-pressure, whose
// refusal is our OverCapacityError, so the one error handler writes the Twitter body. The
// image queue (src/images/work-queue.ts) sheds uploads earlier, before the loop saturates;
// while it is full, an upload is refused here before its body is even read (receiving and
// parsing megabytes only to refuse them would load the event loop the queue protects).
import type { FastifyInstance } from 'fastify';
import underPressure from '@fastify/under-pressure';
import { OverCapacityError, type WorkQueue } from '../../images/work-queue.ts';

export class EventLoopSaturatedError extends OverCapacityError {
  override name = 'EventLoopSaturatedError';
  constructor() {
    super('Over capacity: the event loop is saturated');
  }
}

export const RETRY_AFTER_SECONDS = 5;

/** Bodies smaller than this are not image uploads (update_profile_background_image with tile or use only). */
const SMALL_BODY = 16 * 1024;

export async function registerOverload(app: FastifyInstance, opts: { maxEventLoopDelayMs: number }, imageQueue: WorkQueue): Promise<void> {
  app.addHook('onRequest', (req, _reply, done) => {
    if ((req.routeOptions.config as { maxUploadBytes?: number }).maxUploadBytes === undefined) return done();
    const multipart = /^multipart\//i.test(req.headers['content-type'] ?? '');
    const length = Number(req.headers['content-length'] ?? 0);
    // Chunked bodies have no length: judged by the queue once read.
    try {
      if (multipart || length > SMALL_BODY || req.url.length > SMALL_BODY) imageQueue.refuseIfFull();
    } catch (e) {
      return done(e as Error);
    }
    done();
  });
  if (opts.maxEventLoopDelayMs <= 0) return;
  await app.register(underPressure, {
    maxEventLoopDelay: opts.maxEventLoopDelayMs,
    retryAfter: RETRY_AFTER_SECONDS,
    customError: EventLoopSaturatedError,
  });
}
