// Load shedding for a saturated process: when the event loop's mean delay over the last second
// exceeds PLUMAGE_MAX_EVENT_LOOP_DELAY, every request is answered at once with Twitter's
// 503 / 130 "Over capacity" (and Retry-After) before its body is read, instead of queueing
// behind work the process cannot keep up with. Measured by @fastify/under-pressure, whose
// refusal is our OverCapacityError, so the one error handler writes the Twitter body. The
// image queue (src/images/work-queue.ts) sheds uploads earlier, before the loop saturates.
import type { FastifyInstance } from 'fastify';
import underPressure from '@fastify/under-pressure';
import { OverCapacityError } from '../../images/work-queue.ts';

export class EventLoopSaturatedError extends OverCapacityError {
  override name = 'EventLoopSaturatedError';
  constructor() {
    super('Over capacity: the event loop is saturated');
  }
}

export const RETRY_AFTER_SECONDS = 5;

export async function registerOverload(app: FastifyInstance, opts: { maxEventLoopDelayMs: number }): Promise<void> {
  if (opts.maxEventLoopDelayMs <= 0) return;
  await app.register(underPressure, {
    maxEventLoopDelay: opts.maxEventLoopDelayMs,
    retryAfter: RETRY_AFTER_SECONDS,
    customError: EventLoopSaturatedError,
  });
}
