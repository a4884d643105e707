// Prometheus metrics (prom-client). Every Metrics object owns its registry: nothing is put in
// prom-client's global registry, so several apps in one process (tests, benchmarks) never
// share or clash over counters. Labels are bounded sets: route PATTERNS (never raw URLs, which
// would explode cardinality and may carry OAuth parameters or images in the query), status
// codes, image kinds and Twitter error codes.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ImageProcessor } from '../images/index.ts';

export type ImageKind = 'avatar' | 'background' | 'banner';

export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  readonly imageProcessing: Histogram<'kind'>;
  readonly uploadBytes: Histogram<'kind'>;
  readonly rateLimitRejections: Counter<'endpoint'>;
  readonly authFailures: Counter<'code'>;

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'plumage_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'plumage_http_request_duration_seconds',
      help: 'Time from receiving a request to finishing its response, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.imageProcessing = new Histogram({
      name: 'plumage_image_processing_seconds',
      help: 'Time to decode, check and encode every variant of an uploaded image, by kind',
      labelNames: ['kind'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.uploadBytes = new Histogram({
      name: 'plumage_upload_bytes',
      help: 'Size of uploaded images (decoded bytes) handed to the image pipeline, by kind',
      labelNames: ['kind'],
      buckets: [1024, 10 * 1024, 50 * 1024, 100 * 1024, 250 * 1024, 500 * 1024, 1024 * 1024, 2 * 1024 * 1024, 5 * 1024 * 1024, 10 * 1024 * 1024],
      registers,
    });
    this.rateLimitRejections = new Counter({
      name: 'plumage_rate_limit_rejections_total',
      help: 'Requests refused with 429 / 88, by endpoint (route pattern)',
      labelNames: ['endpoint'],
      registers,
    });
    this.authFailures = new Counter({
      name: 'plumage_auth_failures_total',
      help: 'Requests refused by authentication or authorisation, by Twitter error code',
      labelNames: ['code'],
      registers,
    });
    collectDefaultMetrics({ register: this.registry });
  }

  // prom-client hashes the label object on every inc/observe; a response's labels repeat, so
  // the labelled children are kept per (method, route pattern, status): a bounded set.
  private readonly requestChildren = new Map<string, { count: { inc(): void }; duration: { observe(v: number): void } }>();

  /** One answered request: its count and duration, by method, route pattern and status. */
  recordRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let c = this.requestChildren.get(key);
    if (!c) {
      const labels = { method, route, status: String(status) };
      c = { count: this.requests.labels(labels), duration: this.requestDuration.labels(labels) };
      this.requestChildren.set(key, c);
    }
    c.count.inc();
    c.duration.observe(seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** The image processor, timing each upload and recording its size per kind. */
export function instrumentImages(images: ImageProcessor, metrics: Metrics): ImageProcessor {
  const timed = async <T>(kind: ImageKind, bytes: Uint8Array, work: () => Promise<T>): Promise<T> => {
    metrics.uploadBytes.observe({ kind }, bytes.byteLength);
    const end = metrics.imageProcessing.startTimer({ kind });
    try {
      return await work();
    } finally {
      end();
    }
  };
  return {
    defaultAvatar: () => images.defaultAvatar(),
    preload: () => images.preload(),
    avatar: (bytes, events) => timed('avatar', bytes, () => images.avatar(bytes, events)),
    background: (bytes) => timed('background', bytes, () => images.background(bytes)),
    banner: (bytes, crop) => timed('banner', bytes, () => images.banner(bytes, crop)),
  };
}
