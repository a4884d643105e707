// The fast path: signed calls of the `fast` endpoints (verify_credentials, users/show,
// update_profile, update_profile_colors; routes/1.1/route.ts) served straight from the HTTP
// server's request event, through the same verifier, rate limiter and handlers as the Fastify
// routes, without Fastify's per-request machinery (request and reply objects, the hook chain,
// the content-type parsers). On a 2-core machine that machinery cost more than the work of
// the request itself (docs/benchmarks.md).
//
// The answer is the one Fastify would give: the same headers in the same order, the same access
// line and metrics. Only the plain case is served here, a request that
//   - names a fast endpoint exactly (method and path as registered; anything Fastify's router
//     would have to normalise goes to Fastify),
//   - carries no body, or a small application/x-www-form-urlencoded one with a Content-Length,
//   - uses OAuth 1.0a (a bearer token, or any other scheme, goes to Fastify),
//   - arrives while the process is not shedding load or closing,
//   - and succeeds.
// Behind a proxy (trustProxy) the scheme, host and address come from X-Forwarded-* exactly as
// Fastify's request reads them.
// Everything else goes to Fastify untouched, or, once begun, with a handoff (handoff.ts): the
// body already read, the headers decided and the error met, so that the one error handler
// writes every error.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import proxyAddr from '@fastify/proxy-addr';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { AuthService } from '../auth/auth.service.ts';
import type { Config } from '../config.ts';
import type { RateLimitSettings } from '../limits/defaults.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { RateLimiter } from '../storage/limits/rate-limiter.ts';
import { MapParams } from '../profile/params.ts';
import { authorizationScheme } from '../oauth1/header.ts';
import { parseFormPairs } from '../oauth1/percent-encode.ts';
import { ACCESS_LEVEL_HEADER, checkAccessLevel, signedRequestOf } from './plugins/oauth1.ts';
import { countRequest, RateLimitExceededError } from './plugins/rate-limit.ts';
import { HSTS, LOCKED_DOWN_CSP, SECURITY_HEADERS } from './plugins/security-headers.ts';
import { paramValues } from './plugins/params.ts';
import { jsonBody, type FastRoute } from './routes/1.1/route.ts';
import { writeAccessLine, type AccessLineSink } from './lazy-logger.ts';
import { handOff } from './handoff.ts';
import { JSON_CONTENT_TYPE, JsonText } from './presenters.ts';

export interface FastPathOptions {
  auth: AuthService;
  limiter: RateLimiter;
  rateLimits: RateLimitSettings;
  /** Where requests are counted, or null when nobody can read the counts (no metrics token). */
  metrics: Metrics | null;
  config: Config;
  /** Where access lines go (the server's log destination), or null to log through app.log. */
  accessLines: AccessLineSink | null;
  /** The request ids Fastify uses too (its genReqId option), so that ids stay unique. */
  genReqId: () => string;
}

/** Larger bodies are read by Fastify (update_profile's fields are a few hundred bytes). */
const MAX_FAST_BODY = 64 * 1024;
const FORM_TYPE = /^application\/x-www-form-urlencoded(?:[ \t]*;[ \t]*charset=(?:utf-8|"utf-8"))?$/i;

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Where a request says it came from: Fastify's request.protocol, host and ip. */
interface Origin {
  protocol: string;
  host: string | undefined;
  /** The client's address; behind a proxy found only when logged (it parses X-Forwarded-For). */
  ip(): string | undefined;
}

/** Fastify's reading of a header sent more than once: the last entry. */
function lastEntry(value: string): string {
  const comma = value.lastIndexOf(',');
  return comma === -1 ? value.trim() : value.slice(comma + 1).trim();
}

const TRUST_EVERY_HOP = () => true;

/** As Fastify's request reads them, with trustProxy: true (every hop trusted) or false. */
function originOf(req: IncomingMessage, trustProxy: boolean): Origin {
  const socket = req.socket as TLSSocket;
  const fromSocket = socket.encrypted === true ? 'https' : 'http';
  const { headers } = req;
  if (!trustProxy) return { protocol: fromSocket, host: headers.host, ip: () => socket.remoteAddress };
  const proto = headers['x-forwarded-proto'];
  const host = headers['x-forwarded-host'];
  return {
    protocol: proto ? lastEntry(proto as string) : fromSocket,
    host: host ? lastEntry(host as string) : headers.host,
    ip: () => {
      const all = proxyAddr.all(req, TRUST_EVERY_HOP);
      return all[all.length - 1];
    },
  };
}

/** Fastify's request.hostname: the Host header without its port. */
function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/**
 * The answers finished during one turn of the event loop, sent together at its end
 * (setImmediate). Each socket write wakes the client's process when it is waiting for data;
 * on a virtual machine that wake-up (an interrupt to another CPU) cost more than the rest of a
 * verify_credentials (docs/benchmarks.md). Written back to back, the first answer wakes the
 * client and the others find it running. An answer waits at most for the requests read in the
 * same turn.
 */
class OutgoingBatch {
  private queued: Array<[send: () => void, res: ServerResponse]> = [];
  private readonly sendAll = () => {
    const q = this.queued;
    this.queued = [];
    for (const [send, res] of q) {
      try {
        send();
      } catch {
        res.destroy();
      }
    }
  };

  add(send: () => void, res: ServerResponse): void {
    this.queued.push([send, res]);
    if (this.queued.length === 1) setImmediate(this.sendAll);
  }
}

/** Puts the fast path in front of Fastify's request handler on app.server. Call after every route is registered. */
export function installFastPath(app: FastifyInstance, opts: FastPathOptions): void {
  const { config } = opts;
  if (app.fastRoutes.size === 0) return;
  const server = app.server;
  const listeners = server.listeners('request') as Listener[];
  // Fastify attaches exactly one; anything else is a set-up this code does not know.
  if (listeners.length !== 1) return;
  const fastify = listeners[0]!;

  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  const underPressure = (app as FastifyInstance & { isUnderPressure?: () => boolean }).isUnderPressure;
  const log = app.log as FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean };

  function begin(req: IncomingMessage, res: ServerResponse): boolean {
    if (closing || (underPressure !== undefined && underPressure())) return false;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const route = app.fastRoutes.get(`${req.method} ${q === -1 ? url : url.slice(0, q)}`);
    if (route === undefined) return false;
    const headers = req.headers;
    const origin = originOf(req, config.trustProxy);
    if (config.requireTls && origin.protocol !== 'https') return false;
    const authorization = headers.authorization;
    if (authorization !== undefined && authorizationScheme(authorization) !== 'oauth') return false;
    if (headers.expect !== undefined || headers['transfer-encoding'] !== undefined) return false;
    const length = headers['content-length'];
    const start = performance.now();
    if (route.method === 'GET') {
      if (length !== undefined && length !== '0') return false;
      void serve(route, req, res, null, start, origin);
      return true;
    }
    const type = headers['content-type'];
    const n = Number(length);
    if (type === undefined || !FORM_TYPE.test(type) || !(n > 0 && n <= MAX_FAST_BODY)) return false;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => void serve(route, req, res, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), start, origin));
    // A connection that breaks while the body arrives has nobody left to answer.
    req.once('error', () => res.destroy());
    return true;
  }

  const outgoing = new OutgoingBatch();

  async function serve(route: FastRoute, req: IncomingMessage, res: ServerResponse, body: Buffer | null, start: number, origin: Origin): Promise<void> {
    const decided: Array<[string, string]> = [];
    const { protocol, host } = origin;
    try {
      const form = body === null ? [] : parseFormPairs(body.toString('utf8'));
      const signed = signedRequestOf({ method: route.method, rawUrl: req.url ?? '/', protocol, host, authorization: req.headers.authorization, form, multipart: false }, config);
      const ctx = await opts.auth.authenticate(signed);
      decided.push([ACCESS_LEVEL_HEADER, ctx.accessLevel]);
      checkAccessLevel(ctx, route.write);
      const subject = ctx.token.token;
      if (opts.rateLimits.enabled) {
        const counted = await countRequest(opts.limiter, opts.rateLimits, subject, route.url, route.rateLimit);
        decided.push(...counted.headers);
        if (counted.exceeded) throw new RateLimitExceededError();
      }
      const params = new MapParams(paramValues(signed.query, form));
      const value = await route.handle({ auth: ctx, rateSubject: subject, params, origin: { protocol, host: host ?? '' } });
      const answer = value instanceof JsonText ? value.body() : jsonBody(value);
      // The headers in Fastify's order: the hooks', the handler's type, the security headers
      // (onSend), then the length.
      const out: Record<string, string> = {};
      for (const [name, value] of decided) out[name] = value;
      out['content-type'] = JSON_CONTENT_TYPE;
      for (const [name, value] of SECURITY_HEADERS) out[name] = value;
      out['content-security-policy'] = LOCKED_DOWN_CSP;
      if (protocol === 'https') out['strict-transport-security'] = HSTS;
      out['content-length'] = String(typeof answer === 'string' ? Buffer.byteLength(answer) : answer.length);
      outgoing.add(() => {
        res.writeHead(200, out);
        res.end(answer, () => finished(route, req, res, start, origin));
      }, res);
    } catch (error) {
      if (res.headersSent) {
        // Nothing can be handed over once the answer has begun.
        res.destroy();
        return;
      }
      handOff(req, { body, headers: decided, error });
      try {
        fastify(req, res);
      } catch {
        res.destroy();
      }
    }
  }

  function finished(route: FastRoute, req: IncomingMessage, res: ServerResponse, start: number, origin: Origin): void {
    const responseTime = performance.now() - start;
    opts.metrics?.recordRequest(route.method, route.url, res.statusCode, responseTime / 1000);
    const sink = opts.accessLines;
    if (sink !== null && !sink.enabled()) return;
    if (sink === null && log.isLevelEnabled !== undefined && !log.isLevelEnabled('info')) return;
    const facts = {
      id: opts.genReqId(),
      method: route.method,
      url: req.url ?? '/',
      hostname: origin.host ? hostnameOf(origin.host) : undefined,
      ip: origin.ip(),
      statusCode: res.statusCode,
      responseTime,
    };
    if (sink !== null) writeAccessLine(sink, facts);
    else log.info({ reqId: facts.id, req: facts, res: { statusCode: facts.statusCode }, responseTime }, 'request completed');
  }

  server.removeListener('request', fastify);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let taken = false;
    try {
      taken = begin(req, res);
    } catch {
      taken = false;
    }
    if (!taken) fastify(req, res);
  });
}
