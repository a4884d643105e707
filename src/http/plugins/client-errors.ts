// Errors Node's HTTP parser raises before Fastify sees a request (a body that drips in slower
// than the request timeout, headers past the size limit, broken framing). Fastify's default
// answer is its own JSON shape; clients here expect Twitter's, so this writes that, then
// closes the connection (the socket is in an unknown state and must not be reused).
import http from 'node:http';
import type { Socket } from 'node:net';
import { errorBody } from '../twitter-errors.ts';
import { JSON_CONTENT_TYPE } from '../presenters.ts';

function answer(err: NodeJS.ErrnoException): { status: number; code: number; message: string } {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, code: 214, message: 'The request was not received in time.' };
  if (err.code === 'HPE_HEADER_OVERFLOW') return { status: 431, code: 193, message: 'The request line or headers are too large.' };
  return { status: 400, code: 214, message: 'Bad request.' };
}

export function twitterClientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const t = answer(err);
  const body = errorBody(t);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${t.status} ${http.STATUS_CODES[t.status]}\r\nContent-Type: ${JSON_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * Fastify's router errors (a path with broken percent-encoding, a path segment past
 * maxParamLength): no such page, said the Twitter way, without echoing the path back.
 */
export function twitterFrameworkErrors(
  _error: Error,
  _req: unknown,
  reply: { code(n: number): { type(t: string): { send(b: string): unknown } } },
): void {
  reply.code(404).type(JSON_CONTENT_TYPE).send(errorBody({ code: 34, message: 'Sorry, that page does not exist.' }));
}
