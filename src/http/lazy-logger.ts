// Request logging. Fastify gives every request a child logger carrying its request id; pino's child() costs
// microseconds that most requests never use (at the default level a request logs one line, at
// warn none). This child is made on the first call its level lets through, with the same
// bindings and options, so what is logged is unchanged.
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Bindings, ChildLoggerOptions, LevelWithSilentOrString } from 'pino';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

class LazyChildLogger {
  private made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get real(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  private log(level: Level, args: unknown[]): void {
    if (!this.isLevelEnabled(level)) return;
    (this.real[level] as (...a: unknown[]) => void)(...args);
  }

  fatal(...a: unknown[]) { this.log('fatal', a); }
  error(...a: unknown[]) { this.log('error', a); }
  warn(...a: unknown[]) { this.log('warn', a); }
  info(...a: unknown[]) { this.log('info', a); }
  debug(...a: unknown[]) { this.log('debug', a); }
  trace(...a: unknown[]) { this.log('trace', a); }
  silent() {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real.child(bindings, options);
  }

  isLevelEnabled(level: string): boolean {
    // pino has isLevelEnabled; a logger without it (abstract-logging) is treated as all-enabled.
    const p = this.parent as FastifyBaseLogger & { isLevelEnabled?: (l: string) => boolean };
    return p.isLevelEnabled ? p.isLevelEnabled(level) : true;
  }

  get level(): LevelWithSilentOrString {
    return this.made ? this.made.level : this.parent.level;
  }

  set level(level: LevelWithSilentOrString) {
    this.real.level = level;
  }
}

/** Fastify's childLoggerFactory option. A route's own log level needs the real child at once. */
export function lazyChildLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  if (options.level !== undefined) return logger.child(bindings, options);
  return new LazyChildLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}

/**
 * One access line per request, when its response is done (method, path without the query, host,
 * status, time), instead of Fastify's two ("incoming request" and "request completed").
 */
export interface AccessLineSink {
  /** Appends one finished log line (ends with a newline) to the log's destination. */
  write(line: string): void;
  /** Whether info lines are logged at all (the logger's level). */
  enabled(): boolean;
  /** pino's base bindings, as the logger writes them. */
  pid: number;
  hostname: string;
}

/**
 * Access lines gathered for one turn of the event loop and handed to the log's destination as
 * one string. pino's destination (sonic-boom) measures its whole pending buffer with
 * Buffer.byteLength on every write, flattening the string it appends to; one write per request
 * cost more than formatting the line. Lines wait at most until the loop's check phase
 * (setImmediate), and flush() writes them at once (on close).
 */
export class BatchedLines {
  private pending: string[] = [];
  private scheduled = false;
  private readonly flushSoon = () => this.flush();

  constructor(private readonly out: (text: string) => void) {}

  write(line: string): void {
    this.pending.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushSoon);
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.out(text);
  }
}

/** What an access line says of one request. */
export interface AccessFacts {
  id: string;
  method: string;
  /** The request target; its query is never logged. */
  url: string;
  hostname: string | undefined;
  ip: string | undefined;
  statusCode: number;
  /** Milliseconds. */
  responseTime: number;
}

/** Each sink's pid and hostname fields, written once. */
const bindings = new WeakMap<AccessLineSink, string>();

/**
 * The access line in pino's format (the same fields, in the same order, as the logger call
 * below would write): serialising it through pino, with its serializers and redaction, cost
 * more than the request itself on a 2-core machine. Every field that comes from the client goes
 * through JSON.stringify.
 */
export function writeAccessLine(sink: AccessLineSink, f: AccessFacts): void {
  const q = f.url.indexOf('?');
  let base = bindings.get(sink);
  if (base === undefined) {
    base = `"pid":${sink.pid},"hostname":${JSON.stringify(sink.hostname)}`;
    bindings.set(sink, base);
  }
  sink.write(
    `{"level":30,"time":${Date.now()},${base},"reqId":${JSON.stringify(f.id)},`
      + `"req":{"method":${JSON.stringify(f.method)},"path":${JSON.stringify(q === -1 ? f.url : f.url.slice(0, q))}`
      + `${f.hostname ? `,"host":${JSON.stringify(f.hostname)}` : ''}${f.ip ? `,"remoteAddress":${JSON.stringify(f.ip)}` : ''}},`
      + `"res":{"statusCode":${f.statusCode}},"responseTime":${f.responseTime},"msg":"request completed"}\n`,
  );
}

export class OneLineRequestLog extends LogController {
  /** With a sink, the access line is written directly (writeAccessLine). */
  constructor(private readonly sink: AccessLineSink | null = null) {
    super();
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
      return;
    }
    const sink = this.sink;
    if (sink) {
      if (!sink.enabled()) return;
      writeAccessLine(sink, {
        id: String(request.id),
        method: request.method,
        url: request.url,
        hostname: request.hostname,
        ip: request.ip,
        statusCode: reply.statusCode,
        responseTime: reply.elapsedTime,
      });
      return;
    }
    // Through the server's logger with the request id as a field: the same line as the child
    // would write, without making a child logger for it.
    const log = request.server.log as FastifyBaseLogger & { isLevelEnabled?: (l: string) => boolean };
    if (log.isLevelEnabled && !log.isLevelEnabled('info')) return;
    log.info({ reqId: request.id, req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
