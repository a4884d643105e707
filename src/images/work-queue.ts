// Overload protection for image work (decoding and encoding is the CPU-heavy part of Plumage):
// at most `concurrency` jobs run at once and at most `maxWaiting` wait for a slot. A job that
// finds both full is refused at once with OverCapacityError (503 / 130 "Over capacity"), so a
// flood of uploads gets a quick, honest answer instead of timeouts, and the event loop stays
// free for everything else (colour updates, reads). The queue sits in front of the processing,
// before anything is written: a refused upload changes nothing.
import type { ImageProcessor } from './index.ts';

/** The server is busy; the request did nothing and may be retried later. */
export class OverCapacityError extends Error {
  override name = 'OverCapacityError';
}

export interface WorkQueueStats {
  running: number;
  waiting: number;
  /** Jobs refused since start. */
  refused: number;
}

export class WorkQueue {
  private running = 0;
  private refused = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly concurrency: number, readonly maxWaiting: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a whole number ≥ 1');
    if (!Number.isInteger(maxWaiting) || maxWaiting < 0) throw new RangeError('maxWaiting must be a whole number ≥ 0');
  }

  stats(): WorkQueueStats {
    return { running: this.running, waiting: this.waiting.length, refused: this.refused };
  }

  /** Every slot busy and the waiting list full: a job arriving now would be refused. */
  isFull(): boolean {
    return this.running >= this.concurrency && this.waiting.length >= this.maxWaiting;
  }

  /**
   * Refuses (OverCapacityError, counted) when the queue is full. Lets the HTTP layer turn an
   * upload away before reading its body; run() still decides for the uploads it lets in.
   */
  refuseIfFull(): void {
    if (this.isFull()) this.refuse();
  }

  private refuse(): never {
    this.refused++;
    throw new OverCapacityError('Over capacity: the image queue is full');
  }

  /** Runs the job when a slot is free; refuses at once when the slots and the waiting list are full. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrency) {
      this.running++;
    } else if (this.waiting.length < this.maxWaiting) {
      // The finishing job hands its slot over: `running` stays as it is.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.refuse();
    }
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** The same processor with every upload's work going through the queue. */
export function queuedImageProcessor(inner: ImageProcessor, queue: WorkQueue): ImageProcessor {
  return {
    avatar: (bytes, events) => queue.run(() => inner.avatar(bytes, events)),
    background: (bytes) => queue.run(() => inner.background(bytes)),
    banner: (bytes, crop) => queue.run(() => inner.banner(bytes, crop)),
    // Rendered once per process and cached (transform.ts); not an upload's work.
    defaultAvatar: () => inner.defaultAvatar(),
    preload: () => inner.preload(),
  };
}
