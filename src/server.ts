// Process entry for `plumage serve`: config → deps → app → listen, and a graceful close on
// SIGINT/SIGTERM (in-flight requests finish, then storage closes).
import type { FastifyInstance } from 'fastify';
import os from 'node:os';
import { pino, destination } from 'pino';
import type { Config } from './config.ts';
import { createDeps, type Deps } from './deps.ts';
import { buildApp } from './http/app.ts';
import { BatchedLines } from './http/lazy-logger.ts';

/** Logs never carry query strings (OAuth parameters and base64 images travel there) or credentials. */
export function loggerOptions(level: string) {
  return {
    level,
    // Plugins log request headers under their own keys too (@fastify/multipart logs
    // busboyOptions.headers at trace level), hence the wildcard paths.
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', '*.headers.authorization', '*.headers.cookie', '*.headers["proxy-authorization"]'],
      censor: '[redacted]',
    },
    serializers: {
      req(req: { method: string; url: string; hostname?: string; ip?: string }) {
        return { method: req.method, path: req.url.split('?')[0], host: req.hostname, remoteAddress: req.ip };
      },
    },
  };
}

export interface RunningServer {
  app: FastifyInstance;
  deps: Deps;
  url: string;
  close(): Promise<void>;
}

/** How long a close waits for the log's last lines to be written. */
const LOG_FLUSH_WAIT_MS = 2000;

/**
 * Writes out what the log still holds, while the event loop runs. Should the log's reader be
 * gone (EPIPE), pino then stops writing; left to the synchronous flush at exit, the same
 * error is retried forever (sonic-boom 4) and the process never exits.
 */
function flushLog(out: ReturnType<typeof destination>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, LOG_FLUSH_WAIT_MS);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    try {
      out.flush(done);
    } catch {
      done();
    }
  });
}

export async function startServer(config: Config): Promise<RunningServer> {
  // One logger for the HTTP layer and the adapters (lost connections, failed cleanups).
  // Buffered, asynchronous writes: lines go out 4 KB at a time, or every 200 ms when fewer
  // arrive (one write per access line costs more than the request on a small VM); pino
  // flushes what is left when the process exits.
  const out = destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 200 });
  const logger = pino(loggerOptions(config.logLevel), out);
  const deps = await createDeps(config, {
    log: logger,
    onCleanupError: (err, keys) => logger.warn({ err: (err as Error).message, keys: keys.length }, 'replaced images not deleted; plumage gc will collect them'),
  });
  const lines = new BatchedLines((text) => void out.write(text));
  const accessLines = {
    write: (line: string) => lines.write(line),
    enabled: () => logger.isLevelEnabled('info'),
    pid: process.pid,
    hostname: os.hostname(),
  };
  const app = await buildApp(deps, { loggerInstance: logger, accessLines });
  await app.listen({ host: config.host, port: config.port });
  // The image codecs (sharp) load once requests are being served, not before the first one.
  setTimeout(() => void deps.images.preload().catch(() => undefined), 1000).unref();
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const url = `${config.tls ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      // Connections that finish a response after close() began would otherwise linger until
      // the keep-alive timeout; close them as they go idle.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
      }
      await deps.close();
      lines.flush();
      await flushLog(out);
    })();
    return closing;
  };
  return { app, deps, url, close };
}
