// A fast-check property through HTTP (issue #7, item 2): whatever a client sends, on any
// registered route or none, signed correctly or not, in any body shape, the answer is never
// a 5xx, and every refusal is a Twitter error body; on the HTML pages for browsers (docs/web.md)
// a refusal is either the friendly HTML error page or, for a not-found answer to a client that
// does not ask for HTML, Twitter's JSON 404. Runs through app.inject on the real app
// (embedded storage in pass 1, PostgreSQL + Redis + S3 in pass 2).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startTestServer, type Credentials, type TestServer } from '../helpers/server.ts';
import { signedRequest } from '../helpers/signing.ts';

let server: TestServer;
let alice: Credentials;

before(async () => {
  server = await startTestServer();
  alice = await server.account('alice');
});
after(() => server.close());

/** Percent-encodes raw bytes, so that invalid UTF-8 and every control byte reach the server. */
const rawComponent = fc.uint8Array({ maxLength: 24 }).map((b) => Array.from(b, (x) => `%${x.toString(16).padStart(2, '0')}`).join(''));
const words = fc.constantFrom('image', 'banner', 'name', 'url', 'profile_link_color', 'profile_text_color', 'screen_name', 'user_id', 'tile', 'use', 'width', 'offset_left', 'include_entities', 'oauth_token', 'oauth_signature', '__proto__', 'constructor', '');
const value = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('true', 'fff', '#FF0000', '-1', '1e309', '%zz', 'data:image/png;base64,AAAA', '</style>', 'a'.repeat(2000)));
const params = fc.array(fc.tuple(words, value), { maxLength: 5 });
const rawQuery = fc.array(fc.tuple(rawComponent, rawComponent), { maxLength: 4 }).map((xs) => xs.map(([k, v]) => `${k}=${v}`).join('&'));

const body = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  params.map((p) => ({ kind: 'form' as const, p })),
  fc.tuple(params, fc.uint8Array({ maxLength: 64 })).map(([p, file]) => ({ kind: 'multipart' as const, p, file })),
  fc.tuple(fc.uint8Array({ maxLength: 128 }), fc.constantFrom('application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'image/png', '', 'multipart/mixed')).map(([b, ct]) => ({ kind: 'raw' as const, b, ct })),
);
const auth = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'signed' as const }) },
  fc.constant({ kind: 'none' as const }),
  fc.string({ maxLength: 80 }).map((s) => ({ kind: 'header' as const, value: `OAuth ${s}` })),
  fc.string({ maxLength: 40 }).map((s) => ({ kind: 'header' as const, value: `Bearer ${s}` })),
);

/** The browser pages (src/http/routes/web): their refusals may be HTML. Everything else is API. */
const PAGE_ROUTE = /^\/(login|logout|settings\/.*|oauth\/(authorize|authenticate)|:screen_name)?$/;
/** API namespaces: a path under one of them is API, whatever route template it came from. */
const API_PATH = /^\/(1\.1|oauth2|media|sticky|profile_images|profile_background_images|profile_banners)(\/|$)|^\/oauth\/(request_token|access_token)$/;

/**
 * Page or API, for a path made from a route template. A ".." segment moves the request to
 * another route before routing (clients and the server resolve it alike: /profile_images/../x
 * is the profile page /x), so such a path is judged by where it lands.
 */
function isPage(templateUrl: string, path: string): boolean {
  const resolved = new URL(path, 'http://localhost').pathname;
  if (resolved === path) return PAGE_ROUTE.test(templateUrl);
  // Routes ignore a trailing slash.
  const landed = resolved.length > 1 ? resolved.replace(/\/+$/, '') : resolved;
  return !API_PATH.test(landed) && /^\/(login|logout|settings\/.*|oauth\/(authorize|authenticate)|[^/]+)?$/.test(landed);
}

const accept = fc.constantFrom(undefined, 'text/html,application/xhtml+xml,*/*;q=0.8', 'application/json', '*/*');

test('property: no request, however odd, gets a 5xx; every refusal is a Twitter error body (an HTML page on browser pages)', async () => {
  const routes = server.app.routeTable.map((r) => ({ method: r.method, url: r.url }));
  assert.ok(routes.some((r) => PAGE_ROUTE.test(r.url)) && routes.some((r) => r.url === '/oauth/request_token'), 'the web routes are registered');
  const target = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...routes).chain((r) =>
      fc.tuple(fc.constant(r.method), fc.array(fc.oneof(fc.constantFrom('1', '123456789', 'x.png', 'a_normal.jpg', '..', 'web'), fc.string({ maxLength: 12 }).map(encodeURIComponent)), { minLength: 4, maxLength: 4 })).map(([method, fill]) => {
        let i = 0;
        const path = r.url.replace(/:[A-Za-z]+/g, () => fill[i++] || 'x');
        return { method, path, page: isPage(r.url, path) };
      }),
    ) },
    fc.tuple(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'), fc.string({ maxLength: 30 })).map(([method, p]) => ({ method, path: `/1.1/${encodeURIComponent(p)}`, page: false })),
  );

  const seen = new Map<number, number>();
  let htmlRefusals = 0;
  await fc.assert(
    fc.asyncProperty(target, params, rawQuery, body, auth, accept, async (t, query, extraQuery, b, a, acc) => {
      const method = t.method;
      const canSign = a.kind === 'signed' && method !== 'PUT' && method !== 'DELETE' && method !== 'OPTIONS';
      const form = b.kind === 'form' ? Object.fromEntries(b.p) : undefined;
      let payload: string | Buffer | undefined;
      let contentType: string | undefined;
      if (b.kind === 'multipart') {
        const fd = new FormData();
        for (const [k, v] of b.p) fd.append(k, v);
        fd.append('image', new Blob([b.file]), 'x.png');
        const res = new Response(fd);
        payload = Buffer.from(await res.arrayBuffer());
        contentType = res.headers.get('content-type')!;
      } else if (b.kind === 'raw') {
        payload = Buffer.from(b.b);
        contentType = b.ct || undefined;
      }
      const { url, init } = signedRequest('http://localhost', alice, method === 'HEAD' ? 'HEAD' : method, t.path, { query: Object.fromEntries(query), form: canSign || a.kind !== 'signed' ? form : undefined });
      const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
      if (!canSign) delete headers.authorization;
      if (a.kind === 'header') headers.authorization = a.value;
      if (contentType) headers['content-type'] = contentType;
      if (acc) headers.accept = acc;
      if (b.kind !== 'form') payload ??= undefined;
      else payload = init.body as string;
      // Raw bytes in the query cannot be signed by a client library: only on unsigned requests.
      const unsigned = extraQuery && !canSign ? `${url.search ? '&' : '?'}${extraQuery}` : '';
      const target = `${url.pathname}${url.search}${unsigned}`;
      const res = await server.app.inject({ method: method as never, url: target, headers, ...(payload !== undefined && method !== 'GET' && method !== 'HEAD' ? { payload } : {}) });
      seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
      assert.ok(res.statusCode < 500, `${method} ${target} -> ${res.statusCode} ${res.body.slice(0, 300)}`);
      const type = String(res.headers['content-type'] ?? '');
      if (res.statusCode >= 400 && method !== 'HEAD' && /^text\/html/.test(type)) {
        // Only a browser page answers HTML, and then the friendly error page under the pages' CSP.
        assert.ok(t.page, `${method} ${target} is an API route but answered HTML: ${res.statusCode} ${res.body.slice(0, 200)}`);
        assert.match(res.body, /^<!doctype html>[\s\S]*<h1>[^<]+<\/h1>/i, res.body.slice(0, 300));
        assert.match(String(res.headers['content-security-policy'] ?? ''), /default-src 'none'/);
        htmlRefusals++;
      } else if (res.statusCode >= 400 && method !== 'HEAD') {
        // A browser page answers JSON only for "no such page" to a client that does not ask for HTML.
        if (t.page) assert.ok(res.statusCode === 404 && !/text\/html/.test(acc ?? ''), `${method} ${target} (Accept: ${acc}) -> ${res.statusCode} ${type} ${res.body.slice(0, 200)}`);
        const json = JSON.parse(res.body);
        assert.deepEqual(Object.keys(json), ['errors'], res.body);
        assert.ok(Number.isInteger(json.errors[0].code) && typeof json.errors[0].message === 'string', res.body);
      }
    }),
    { numRuns: 300 },
  );
  // Not vacuous: signed requests got through authentication and were answered on their merits.
  const accepted = (seen.get(200) ?? 0) + (seen.get(201) ?? 0);
  const meritRefusals = [400, 403, 404, 413, 422].reduce((n, s) => n + (seen.get(s) ?? 0), 0);
  assert.ok(accepted >= 5 && meritRefusals >= 10, `statuses seen: ${JSON.stringify([...seen])}`);
  assert.ok(htmlRefusals >= 3, `only ${htmlRefusals} HTML refusals: the browser pages were hardly exercised`);
  console.log(`statuses seen: ${JSON.stringify(Object.fromEntries(seen))}`);
});
