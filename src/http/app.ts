// buildApp(deps): the one function that makes the HTTP application, in tests and production.
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Deps } from '../deps.ts';
import { registerBodyParsers } from './plugins/body-parsers.ts';
import { registerErrorHandling } from './plugins/errors.ts';
import { registerOAuth } from './plugins/oauth1.ts';
import { registerParams } from './plugins/params.ts';
import { registerRateLimit } from './plugins/rate-limit.ts';
import { registerOverload } from './plugins/overload.ts';
import { registerSecurityHeaders } from './plugins/security-headers.ts';
import { registerRouteTable } from './plugins/route-table.ts';
import { twitterClientErrorHandler, twitterFrameworkErrors } from './plugins/client-errors.ts';
import './plugins/request-context.ts';
import { lazyChildLoggerFactory, OneLineRequestLog, type AccessLineSink } from './lazy-logger.ts';
import { registerAccountRoutes } from './routes/1.1/account.ts';
import { registerUsersRoutes } from './routes/1.1/users.ts';
import { registerApiDocs } from './openapi/register.ts';
import { registerAppearanceRoutes } from './routes/1.1/appearance.ts';
import { registerMediaRoutes } from './routes/media.ts';
import { registerApplicationRoutes } from './routes/1.1/application.ts';
import { registerOAuth2Routes } from './routes/oauth2.ts';
import { registerMetrics } from './plugins/metrics.ts';
import { registerOpsRoutes } from './routes/ops.ts';
import { registerWebRoutes } from './routes/web/index.ts';
import { Readable } from 'node:stream';
import type { FastRoute } from './routes/1.1/route.ts';
import { installFastPath } from './fast-path.ts';
import { handoffOf } from './handoff.ts';

export interface AppOptions {
  /** pino options or false (the default: tests stay quiet). */
  logger?: FastifyServerOptions['logger'];
  /** A ready logger shared with the adapters (the server passes its own). */
  loggerInstance?: FastifyBaseLogger;
  /** Where the access lines go without passing through the logger (the server's log destination). */
  accessLines?: AccessLineSink;
}

// Headers and body: twit sends a banner's base64 in the query string (clients.md §7.1), so the
// request line may be as long as the largest upload, encoded.
function encodedSize(bytes: number): number {
  return Math.ceil((bytes * 4) / 3) * 3 + 64 * 1024;
}

/** Fastify's own request ids (req-1, req-2, …), made by one counter that the fast path shares. */
function requestIds(): () => string {
  let next = 0;
  return () => {
    next = (next + 1) & 0x7fffffff;
    return `req-${next.toString(36)}`;
  };
}

export async function buildApp(deps: Deps, opts: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = deps;
  const largestUpload = Math.max(config.limits.avatarBytes, config.limits.backgroundBytes, config.limits.bannerBytes);
  // Fastify sets server.requestTimeout from its own option (0, none, by default), so the
  // timeout goes there; Node checks it every connectionsCheckingInterval, hence that too.
  const timeout = config.requestTimeoutMs;
  const serverOptions = {
    maxHeaderSize: encodedSize(largestUpload),
    requestTimeout: timeout,
    headersTimeout: Math.min(60_000, timeout),
    connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(timeout / 4))),
  };
  const genReqId = requestIds();
  const app = Fastify({
    ...(opts.loggerInstance ? { loggerInstance: opts.loggerInstance } : { logger: opts.logger ?? false }),
    childLoggerFactory: lazyChildLoggerFactory,
    logController: new OneLineRequestLog(opts.accessLines ?? null),
    trustProxy: config.trustProxy,
    requestTimeout: timeout,
    clientErrorHandler: twitterClientErrorHandler,
    frameworkErrors: twitterFrameworkErrors,
    bodyLimit: encodedSize(largestUpload),
    ...(config.tls
      ? { https: { cert: config.tls.cert, key: config.tls.key, ...serverOptions } }
      : { http: serverOptions }),
    // Twitter answered "/1.1/users/show.json/" like the path without the slash.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    genReqId,
  } as FastifyServerOptions);

  registerRouteTable(app);
  app.decorate('fastRoutes', new Map<string, FastRoute>());
  // A request the fast path handed over after reading its body: Fastify reads a copy of it.
  app.addHook('preParsing', (req, _reply, payload, done) => {
    const body = handoffOf(req.raw)?.body;
    done(null, body ? Readable.from([body]) : payload);
  });
  registerErrorHandling(app);
  // Request metrics only where /metrics can be read (PLUMAGE_METRICS_TOKEN): recording them
  // costs every request a few microseconds.
  if (config.metricsToken !== null) registerMetrics(app, deps.metrics);
  await registerOverload(app, config.overload, deps.imageQueue);
  registerSecurityHeaders(app);
  await registerBodyParsers(app, { bodyLimit: encodedSize(largestUpload), fileLimit: largestUpload + 1 });
  registerOAuth(app, deps.auth, deps.appAuth, config);
  registerRateLimit(app, deps.rateLimiter, config.rateLimits);
  registerParams(app);
  // Before the routes: it attaches their documentation as they are registered.
  await registerApiDocs(app, config);

  registerAccountRoutes(app, deps.profile, config);
  registerUsersRoutes(app, deps.profile, config);
  registerAppearanceRoutes(app, deps.appearance, deps.profile, config);
  registerApplicationRoutes(app, deps.rateLimiter, deps.clock, config.rateLimits);
  registerOAuth2Routes(app, deps.appAuth);
  registerMediaRoutes(app, deps.blobs, deps.images);
  registerOpsRoutes(app, { metrics: deps.metrics, readiness: deps.readiness, metricsToken: config.metricsToken });
  await registerWebRoutes(app, deps);
  installFastPath(app, {
    auth: deps.auth,
    limiter: deps.rateLimiter,
    rateLimits: config.rateLimits,
    metrics: config.metricsToken !== null ? deps.metrics : null,
    config,
    accessLines: opts.accessLines ?? null,
    genReqId,
  });
  return app;
}
