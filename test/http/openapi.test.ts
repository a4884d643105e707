// GET /1.1/openapi.json: a valid OpenAPI 3.1 document that lists every registered route with
// its parameters, security and responses; and the documented schemas and error codes match
// what the server really answers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { startTestServer, type Credentials, type TestServer } from '../helpers/server.ts';
import { signedFetch } from '../helpers/signing.ts';
import { buildApp } from '../../src/http/app.ts';
import type { FastifyInstance } from 'fastify';

/** Every route the app registered, read from Fastify's route tree: [method, url]. */
function registeredRoutes(app: FastifyInstance): Array<[string, string]> {
  const tree = app.printRoutes({ commonPrefix: false });
  const parents: string[] = [];
  const out: Array<[string, string]> = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const url = (parents[depth - 1] ?? '') + m[2]!;
    parents[depth] = url;
    parents.length = depth + 1;
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) out.push([method, url]);
  }
  return out;
}

/** What is missing from the document for the registered routes (empty when complete). */
function undocumented(routes: Array<[string, string]>, doc: any): string[] {
  const missing: string[] = [];
  for (const [method, url] of routes) {
    // The reference page's own files are not API.
    if (url.startsWith('/docs')) continue;
    // Fastify answers HEAD for every GET; the API's HEAD twins are the GET without a body.
    if (method === 'HEAD' && url.startsWith('/1.1/')) continue;
    const path = url.replace(/:(\w+)/g, '{$1}');
    const op = doc.paths[path]?.[method.toLowerCase()];
    if (!op) {
      missing.push(`${method} ${url} is not in the document`);
      continue;
    }
    if (!op.summary || !op.operationId || !op.description) missing.push(`${method} ${url} has no summary, operationId or description`);
    if (!Array.isArray(op.security)) missing.push(`${method} ${url} says nothing about security`);
    for (const [status, res] of Object.entries<any>(op.responses)) {
      if (res.description === 'Default Response') missing.push(`${method} ${url} ${status}: undocumented response`);
    }
    if (url.startsWith('/1.1/') && url !== '/1.1/openapi.json' && !Object.keys(op.responses).some((s) => s.startsWith('4'))) {
      missing.push(`${method} ${url} documents no error`);
    }
  }
  return missing;
}

/** The error codes an operation documents, as "status/code". */
function documentedCodes(op: any): Set<string> {
  const out = new Set<string>();
  for (const [status, res] of Object.entries<any>(op.responses)) {
    for (const ex of Object.values<any>(res.content?.['application/json']?.examples ?? {})) {
      for (const err of ex.value?.errors ?? []) out.add(`${status}/${err.code}`);
    }
  }
  return out;
}

describe('GET /1.1/openapi.json', () => {
  let server: TestServer;
  let alice: Credentials;
  let doc: any;
  before(async () => {
    server = await startTestServer();
    alice = await server.account('alice', { email: 'alice@example.org' });
    const r = await fetch(`${server.url}/1.1/openapi.json`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    doc = await r.json();
  });
  after(() => server.close());

  test('is a valid OpenAPI 3.1 document (swagger-parser, zero errors)', async () => {
    assert.equal(doc.openapi, '3.1.0');
    // validate() dereferences in place: give it a copy.
    await SwaggerParser.validate(structuredClone(doc));
    assert.deepEqual(doc.servers, [{ url: server.url }]);
  });

  test('lists every registered route, each documented (a route without a schema fails here)', async () => {
    const routes = registeredRoutes(server.app);
    assert.ok(routes.length >= 40, `only ${routes.length} routes parsed from the route tree`);
    assert.deepEqual(undocumented(routes, doc), []);
    // Both spellings of every v1.1 endpoint, and the media URLs with HEAD.
    for (const p of ['/1.1/users/show.json', '/1.1/users/show', '/1.1/account/update_profile_banner.json', '/oauth2/token']) assert.ok(doc.paths[p], p);
    assert.ok(doc.paths['/profile_images/{id}/{file}'].head);

    // The same check on an app with one more route and no entry for it: it is caught.
    const app = await buildApp(server.deps);
    try {
      app.get('/1.1/account/settings.json', async () => ({}));
      await app.ready();
      const problems = undocumented(registeredRoutes(app), app.swagger());
      assert.ok(problems.includes('GET /1.1/account/settings.json has no summary, operationId or description'), problems.join('\n'));
    } finally {
      await app.close();
    }
  });

  test('POST endpoints take query parameters, urlencoded and multipart bodies; images as file parts', () => {
    const op = doc.paths['/1.1/account/update_profile_image.json'].post;
    assert.deepEqual(Object.keys(op.requestBody.content).sort(), ['application/x-www-form-urlencoded', 'multipart/form-data']);
    assert.equal(op.requestBody.required, false);
    assert.equal(op.requestBody.content['multipart/form-data'].schema.properties.image.format, 'binary');
    assert.ok(op.parameters.some((p: any) => p.in === 'query' && p.name === 'image'));
    const colours = doc.paths['/1.1/account/update_profile_colors.json'].post;
    for (const name of ['profile_background_color', 'profile_link_color', 'profile_sidebar_border_color', 'profile_sidebar_fill_color', 'profile_text_color', 'include_entities', 'skip_status']) {
      assert.ok(colours.parameters.some((p: any) => p.in === 'query' && p.name === name), name);
      assert.ok(colours.requestBody.content['application/x-www-form-urlencoded'].schema.properties[name], name);
    }
    const bg = doc.paths['/1.1/account/update_profile_background_image.json'].post;
    for (const name of ['image', 'file', 'tile', 'use']) assert.ok(bg.requestBody.content['multipart/form-data'].schema.properties[name], name);
    const banner = doc.paths['/1.1/account/update_profile_banner.json'].post;
    for (const name of ['banner', 'width', 'height', 'offset_left', 'offset_top']) assert.ok(banner.parameters.some((p: any) => p.name === name), name);
  });

  test('security: OAuth 1.0a everywhere, app-only bearer where Twitter took it, Basic for oauth2', () => {
    assert.equal(doc.components.securitySchemes.oauth1.type, 'http');
    assert.equal(doc.components.securitySchemes.oauth1.scheme, 'OAuth');
    assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
    const schemes = (p: string, m: string) => doc.paths[p][m].security.map((s: object) => Object.keys(s)[0]).sort();
    assert.deepEqual(schemes('/1.1/users/show.json', 'get'), ['bearer', 'oauth1']);
    assert.deepEqual(schemes('/1.1/application/rate_limit_status.json', 'get'), ['bearer', 'oauth1']);
    assert.deepEqual(schemes('/1.1/account/verify_credentials.json', 'get'), ['oauth1']);
    assert.deepEqual(schemes('/1.1/account/update_profile_image', 'post'), ['oauth1']);
    assert.deepEqual(schemes('/oauth2/token', 'post'), ['basic']);
    assert.deepEqual(doc.paths['/sticky/default_profile_images/{file}'].get.security, []);
  });

  test('the User schema is the user object the server writes: every field, in order, nothing else', async () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const userSchema = doc.components.schemas.User;
    const validate = ajv.compile<any>(userSchema);
    const self = await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json', { query: { include_email: 'true' } });
    assert.equal(self.status, 200);
    assert.ok(validate(self.json), JSON.stringify(validate.errors));
    const shown = await signedFetch(server.url, alice, 'GET', '/1.1/users/show.json', { query: { screen_name: 'alice', include_entities: 'false' } });
    assert.ok(validate(shown.json), JSON.stringify(validate.errors));
    // The documented order is the order on the wire.
    const order = Object.keys(userSchema.properties);
    const positions = Object.keys(self.json).map((k) => order.indexOf(k));
    assert.ok(positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]!)), `wire order ${Object.keys(self.json)}`);
    // The example is a valid user, and an unknown field is refused.
    assert.ok(validate(userSchema.examples[0]), JSON.stringify(validate.errors));
    assert.equal(validate({ ...self.json, surprise: 1 }), false);
  });

  test('errors: the body matches the Error schema and each code is documented for its endpoint', async () => {
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile<any>(doc.components.schemas.Error);
    const cases: Array<[string, string, () => Promise<{ status: number; json: any }>]> = [
      ['/1.1/users/show.json', 'get', () => signedFetch(server.url, alice, 'GET', '/1.1/users/show.json')],
      ['/1.1/users/show.json', 'get', () => signedFetch(server.url, alice, 'GET', '/1.1/users/show.json', { query: { screen_name: 'nobody' } })],
      ['/1.1/users/profile_banner.json', 'get', () => signedFetch(server.url, alice, 'GET', '/1.1/users/profile_banner.json')],
      ['/1.1/account/update_profile_colors.json', 'post', () => signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile_colors.json')],
      ['/1.1/account/update_profile_colors.json', 'post', () => signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile_colors.json', { form: { profile_text_color: 'nope' } })],
      ['/1.1/account/update_profile_image.json', 'post', () => signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile_image.json', { form: { image: 'PHN2Zz48L3N2Zz4=' } })],
      ['/1.1/account/update_profile.json', 'post', () => signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile.json', { form: { name: 'x'.repeat(51) } })],
      ['/1.1/account/verify_credentials.json', 'get', () => signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json', { consumerSecret: 'wrong' })],
      ['/1.1/account/verify_credentials.json', 'get', async () => {
        const r = await fetch(`${server.url}/1.1/account/verify_credentials.json`);
        return { status: r.status, json: await r.json() };
      }],
      ['/1.1/account/verify_credentials.json', 'get', async () => {
        const r = await fetch(`${server.url}/1.1/account/verify_credentials.json`, { headers: { authorization: 'Bearer AAAA' } });
        return { status: r.status, json: await r.json() };
      }],
      ['/profile_images/{id}/{file}', 'get', async () => {
        const r = await fetch(`${server.url}/profile_images/1/nothing_normal.png`);
        return { status: r.status, json: await r.json() };
      }],
    ];
    const seen = new Set<string>();
    for (const [path, method, call] of cases) {
      const r = await call();
      assert.ok(r.status >= 400, `${path}: ${r.status}`);
      assert.ok(validate(r.json), `${path}: ${JSON.stringify(r.json)} ${JSON.stringify(validate.errors)}`);
      const got = `${r.status}/${r.json.errors[0].code}`;
      seen.add(got);
      assert.ok(documentedCodes(doc.paths[path][method]).has(got), `${method.toUpperCase()} ${path} answered ${got}, which it does not document`);
    }
    // The cases above really exercised different errors.
    assert.ok(seen.size >= 8, [...seen].join(' '));
  });

  test('documented route schemas change nothing on the wire: Twitter errors, not Fastify validation', async () => {
    // A path parameter that the documented pattern would refuse still reaches the route (404/34).
    const media = await fetch(`${server.url}/profile_banners/abc/1/web`);
    assert.equal(media.status, 404);
    assert.deepEqual(await media.json(), { errors: [{ code: 34, message: 'Sorry, that page does not exist.' }] });
    // A documented pattern on a parameter is not enforced by Fastify: the route's own 120 answers.
    const colour = await signedFetch(server.url, alice, 'POST', '/1.1/account/update_profile_colors.json', { query: { profile_link_color: 'zz' } });
    assert.equal(colour.status, 403);
    assert.equal(colour.json.errors[0].code, 120);
    // A bad grant type is Twitter's 403/170, not a schema error for the documented const.
    const token = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${alice.consumerKey}:${alice.consumerSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password',
    });
    assert.equal(token.status, 403);
    assert.equal(((await token.json()) as any).errors[0].code, 170);
  });
});
