// Security headers on every response Fastify sends (docs/security.md): no MIME sniffing, no
// framing, no referrer leaking API or media URLs, a Content-Security-Policy that lets nothing
// run inside a JSON answer or an image opened as a document (a crafted upload can never act as
// a page), and HSTS when the request came over TLS. Pages that need scripts set their own
// Content-Security-Policy; then only frame-ancestors is added here, if missing.
import type { FastifyInstance } from 'fastify';

/** For JSON, images and anything else that is not a page: nothing may load or run. */
export const LOCKED_DOWN_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox";
/** On every answer, in this order. */
export const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['referrer-policy', 'no-referrer'],
];
/** On every answer over TLS. */
export const HSTS = 'max-age=31536000';

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', (req, reply, payload, done) => {
    for (const [name, value] of SECURITY_HEADERS) reply.header(name, value);
    const type = String(reply.getHeader('content-type') ?? '');
    const csp = reply.getHeader('content-security-policy');
    if (csp === undefined) {
      reply.header('content-security-policy', /^text\/html\b/i.test(type) ? "frame-ancestors 'none'" : LOCKED_DOWN_CSP);
    } else if (!/frame-ancestors/i.test(String(csp))) {
      reply.header('content-security-policy', `${String(csp)}; frame-ancestors 'none'`);
    }
    // request.protocol follows X-Forwarded-Proto only when trustProxy is on.
    if (req.protocol === 'https') reply.header('strict-transport-security', HSTS);
    reply.removeHeader('x-powered-by');
    reply.removeHeader('server');
    done(null, payload);
  });
}
