// The fast path (src/http/fast-path.ts) answers plain signed calls of verify_credentials,
// users/show, update_profile and update_profile_colors without Fastify's request machinery.
// Its answers must be Fastify's, byte for byte apart from the date and the rate-limit count,
// and everything it does not serve (errors, bearer tokens, odd paths, chunked bodies) must
// reach Fastify whole. An onRequest hook counts what Fastify saw; app.inject() gives Fastify's
// own answer to the same request, signed afresh (each nonce is good once).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import { startTestServer, twitterApiV2, twitterCode, type Credentials, type TestServer } from '../helpers/server.ts';
import { signedFetch, signedRequest, type SignOptions } from '../helpers/signing.ts';

/** Headers whose values differ between two answers for reasons other than the path taken. */
const VARYING = new Set(['date', 'connection', 'keep-alive', 'x-rate-limit-remaining', 'x-rate-limit-reset']);

interface Answer {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

function comparable(a: Answer): Answer {
  return { status: a.status, headers: a.headers.filter(([k]) => !VARYING.has(k)), body: a.body };
}

/** One request over the wire (fetch keeps header order as sent). */
async function overHttp(server: TestServer, c: Credentials, method: string, path: string, o: SignOptions = {}): Promise<Answer> {
  const { url, init } = signedRequest(server.url, c, method, path, o);
  const res = await fetch(url, init);
  return { status: res.status, headers: [...res.headers].map(([k, v]) => [k, v] as [string, string]), body: await res.text() };
}

/** The same request through Fastify alone. */
async function throughFastify(server: TestServer, c: Credentials, method: string, path: string, o: SignOptions = {}): Promise<Answer> {
  const { url, init } = signedRequest(server.url, c, method, path, o);
  const headers = { ...(init.headers as Record<string, string>), host: url.host };
  const res = await server.app.inject({ method: method as 'GET' | 'POST', url: url.pathname + url.search, headers, payload: init.body as string | undefined });
  return { status: res.statusCode, headers: Object.entries(res.headers).map(([k, v]) => [k, String(v)]), body: res.body };
}

/** fetch sorts headers by name; so does this, for comparing. */
function sorted(a: Answer): Answer {
  const c = comparable(a);
  return { ...c, headers: [...c.headers].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)) };
}

let seenByFastify = 0;
/** An onRequest hook: Fastify saw one more request. */
function countFastify(app: FastifyInstance): void {
  app.addHook('onRequest', (_req, _reply, done) => {
    seenByFastify++;
    done();
  });
}

/** Runs `f` and says how many requests Fastify saw meanwhile. */
async function fastifyCount(f: () => Promise<unknown>): Promise<number> {
  const before = seenByFastify;
  await f();
  return seenByFastify - before;
}

describe('the fast path', () => {
  let server: TestServer;
  let alice: Credentials;
  let reader: Credentials;
  before(async () => {
    server = await startTestServer({ metricsToken: 'fast-path-metrics-token' }, { beforeListen: countFastify });
    alice = await server.account('alice', { name: 'Alice' });
    reader = await server.account('reader', { readOnly: true });
  });
  after(() => server.close());

  test('serves verify_credentials and update_profile_colors from real clients without Fastify', async () => {
    const v1 = twitterApiV2(server, alice);
    assert.equal(await fastifyCount(async () => {
      assert.equal((await v1.verifyCredentials()).screen_name, 'alice');
      const updated = await v1.post('account/update_profile_colors.json', { profile_link_color: 'ABC123' });
      assert.equal((updated as { profile_link_color: string }).profile_link_color, 'ABC123');
      assert.equal((await v1.user({ screen_name: 'alice' }) as unknown as { profile_link_color: string }).profile_link_color, 'ABC123');
      assert.equal((await v1.updateAccountProfile({ location: 'Lisbon' })).location, 'Lisbon');
    }), 0);
    // Both spellings of a path.
    assert.equal(await fastifyCount(async () => {
      const r = await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials');
      assert.equal(r.status, 200);
    }), 0);
  });

  test('answers exactly as Fastify does: status, headers in order, body', async () => {
    const cases: Array<[string, string, SignOptions]> = [
      ['GET', '/1.1/account/verify_credentials.json', { query: { include_email: 'true' } }],
      ['GET', '/1.1/users/show.json', { query: { screen_name: 'alice' } }],
      ['POST', '/1.1/account/update_profile_colors.json', { form: { profile_text_color: '333333' } }],
      ['POST', '/1.1/account/update_profile.json', { form: { description: 'Ünïcode & spaces', include_entities: 'false' } }],
      // OAuth parameters in the query instead of the header (python-twitter-tools).
      ['GET', '/1.1/account/verify_credentials.json', { oauthInQuery: true }],
    ];
    for (const [method, path, o] of cases) {
      let fast: Answer | undefined;
      assert.equal(await fastifyCount(async () => {
        fast = await overHttp(server, alice, method, path, o);
      }), 0, `${method} ${path} went through Fastify`);
      const slow = await throughFastify(server, alice, method, path, o);
      assert.equal(fast!.status, 200, fast!.body);
      assert.deepEqual(sorted(fast!), sorted(slow), `${method} ${path}`);
    }
  });

  test('a repeated verify_credentials (its answer written as bytes after the first time) is the same answer, non-ASCII included', async () => {
    const c = await server.account('zoe', { name: 'Zoë Ünïcode ☃' });
    const answers: Answer[] = [];
    for (let i = 0; i < 4; i++) {
      assert.equal(await fastifyCount(async () => {
        answers.push(await overHttp(server, c, 'GET', '/1.1/account/verify_credentials.json'));
      }), 0);
    }
    const slow = await throughFastify(server, c, 'GET', '/1.1/account/verify_credentials.json');
    for (const a of answers) {
      assert.equal(a.status, 200, a.body);
      assert.equal(JSON.parse(a.body).name, 'Zoë Ünïcode ☃');
      assert.equal(Number(a.headers.find(([k]) => k === 'content-length')![1]), Buffer.byteLength(a.body));
      assert.deepEqual(sorted(a), sorted(slow));
    }
  });

  test('sends its headers in the order Fastify does', async () => {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const { url, init } = signedRequest(server.url, alice, 'GET', '/1.1/users/show.json', { query: { screen_name: 'alice' } });
      http.get(url, { headers: init.headers as Record<string, string>, agent: false }, resolve).once('error', reject);
    });
    res.resume();
    const names = res.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    const slow = await throughFastify(server, alice, 'GET', '/1.1/users/show.json', { query: { screen_name: 'alice' } });
    const fastifyOrder = slow.headers.map(([k]) => k).filter((k) => !VARYING.has(k));
    assert.deepEqual(names.filter((k) => !VARYING.has(k)), fastifyOrder);
  });

  test('hands every error to Fastify, whose answer it is, with the body and the headers already decided', async () => {
    const cases: Array<[string, Credentials, string, string, SignOptions, number]> = [
      ['bad signature', alice, 'GET', '/1.1/account/verify_credentials.json', { consumerSecret: 'wrong' }, 401],
      ['unknown token', alice, 'GET', '/1.1/account/verify_credentials.json', { token: 'nope' }, 401],
      ['bad colour, in a body Fastify must read again', alice, 'POST', '/1.1/account/update_profile_colors.json', { form: { profile_link_color: 'not-a-colour' } }, 403],
      ['read-only application writing', reader, 'POST', '/1.1/account/update_profile_colors.json', { form: { profile_link_color: '00FF00' } }, 403],
      ['unknown user', alice, 'GET', '/1.1/users/show.json', { query: { screen_name: 'nobody_here' } }, 404],
    ];
    for (const [label, who, method, path, o, status] of cases) {
      let fast: Answer | undefined;
      assert.equal(await fastifyCount(async () => {
        fast = await overHttp(server, who, method, path, o);
      }), 1, label);
      assert.equal(fast!.status, status, `${label}: ${fast!.body}`);
      assert.deepEqual(sorted(fast!), sorted(await throughFastify(server, who, method, path, o)), label);
    }
    const readOnly = await overHttp(server, reader, 'POST', '/1.1/account/update_profile_colors.json', { form: { profile_link_color: '00FF00' } });
    assert.equal(new Map(readOnly.headers).get('x-access-level'), 'read');
    // Nothing was half-applied.
    assert.equal((await twitterApiV2(server, reader).verifyCredentials() as unknown as { profile_link_color: string }).profile_link_color, '1DA1F2');
  });

  test('a replayed request is refused once, by Fastify, and not served twice', async () => {
    const { url, init } = signedRequest(server.url, alice, 'POST', '/1.1/account/update_profile_colors.json', { form: { profile_link_color: '445566' } });
    assert.equal((await fetch(url, init)).status, 200);
    const again = await fetch(url, init);
    assert.equal(again.status, 401);
    assert.equal(((await again.json()) as { errors: Array<{ code: number }> }).errors[0]!.code, 32);
  });

  test('answers finished together go out together, each on its own connection; a client that hangs up disturbs none', async () => {
    // Many connections at once, so that several answers are finished in one turn of the event
    // loop and written together (OutgoingBatch); every fourth client closes its connection as
    // soon as its request is sent, before its answer can be written.
    type Outcome = { status: number; body: string } | 'hung up';
    const send = (i: number): Promise<Outcome> => {
      const colour = (0x100000 + i).toString(16).toUpperCase();
      const { url, init } = i % 2 === 0
        ? signedRequest(server.url, alice, 'GET', '/1.1/account/verify_credentials.json')
        : signedRequest(server.url, alice, 'POST', '/1.1/account/update_profile_colors.json', { form: { profile_sidebar_fill_color: colour } });
      return new Promise((resolve, reject) => {
        const req = http.request(url, { method: init.method, headers: init.headers as Record<string, string>, agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        if (i % 4 === 3) {
          req.on('finish', () => {
            req.destroy();
            resolve('hung up');
          });
          req.on('error', () => undefined);
        } else {
          req.on('error', reject);
        }
        req.end(init.body as string | undefined);
      });
    };
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => send(i)));
    outcomes.forEach((o, i) => {
      if (i % 4 === 3) return assert.equal(o, 'hung up');
      assert.notEqual(o, 'hung up');
      const { status, body } = o as { status: number; body: string };
      assert.equal(status, 200, `request ${i}: ${body}`);
      const user = JSON.parse(body) as { screen_name: string; profile_sidebar_fill_color: string };
      assert.equal(user.screen_name, 'alice');
      if (i % 2 === 1) assert.equal(user.profile_sidebar_fill_color, (0x100000 + i).toString(16).toUpperCase());
    });
    // The server goes on answering.
    const after = await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json');
    assert.equal(after.status, 200);
  });

  test('rate limits: headers on what it serves, 429 / 88 from Fastify past the limit', async (t) => {
    const limited = await startTestServer({ rateLimits: 'users/show=2' }, { beforeListen: countFastify });
    t.after(() => limited.close());
    const bob = await limited.account('bob');
    const show = () => overHttp(limited, bob, 'GET', '/1.1/users/show.json', { query: { screen_name: 'bob' } });
    for (const remaining of ['1', '0']) {
      let a: Answer | undefined;
      assert.equal(await fastifyCount(async () => {
        a = await show();
      }), 0);
      assert.equal(a!.status, 200);
      assert.equal(new Map(a!.headers).get('x-rate-limit-limit'), '2');
      assert.equal(new Map(a!.headers).get('x-rate-limit-remaining'), remaining);
    }
    let over: Answer | undefined;
    assert.equal(await fastifyCount(async () => {
      over = await show();
    }), 1);
    assert.equal(over!.status, 429);
    assert.equal(JSON.parse(over!.body).errors[0].code, 88);
    const h = new Map(over!.headers);
    assert.equal(h.get('x-rate-limit-remaining'), '0');
    assert.equal(h.get('x-access-level'), 'read-write');
    assert.equal(h.get('content-security-policy')?.startsWith("default-src 'none'"), true);
  });

  test('leaves to Fastify what it does not serve', async () => {
    const v1 = twitterApiV2(server, alice);
    // A trailing slash (Fastify's router normalises it), a chunked body, a bearer token.
    assert.equal(await fastifyCount(async () => {
      assert.equal((await signedFetch(server.url, alice, 'GET', '/1.1/account/verify_credentials.json/')).status, 200);
    }), 1);
    assert.equal(await fastifyCount(async () => {
      const { url, init } = signedRequest(server.url, alice, 'POST', '/1.1/account/update_profile_colors.json', { form: { profile_link_color: '778899' } });
      const body = init.body as string;
      const res = await fetch(url, {
        ...init,
        // A stream body goes out chunked, without Content-Length.
        body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(body)); c.close(); } }),
        duplex: 'half',
      } as RequestInit);
      assert.equal(res.status, 200);
    }), 1);
    // A bearer token, obtained as twitter-api-v2's appLogin() asks for one (Basic auth).
    const app = await server.deps.accounts.addApp('public', 'read');
    const res = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(app.consumerKey)}:${encodeURIComponent(app.consumerSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
      },
      body: 'grant_type=client_credentials',
    });
    const bearer = ((await res.json()) as { access_token: string }).access_token;
    assert.equal(await fastifyCount(async () => {
      const show = await fetch(`${server.url}/1.1/users/show.json?screen_name=alice`, { headers: { authorization: `Bearer ${bearer}` } });
      assert.equal(show.status, 200);
    }), 1);
    assert.equal(await twitterCode(v1.verifyCredentials()), 'resolved');
  });

  test('behind a proxy: scheme, host and HSTS from X-Forwarded-*, as Fastify reads them', async (t) => {
    const proxied = await startTestServer({ trustProxy: 'true' }, { beforeListen: countFastify });
    t.after(() => proxied.close());
    const carol = await proxied.account('carol');
    // The client signed the public URL; nginx passes the request on with X-Forwarded-*.
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.test', 'x-forwarded-for': '203.0.113.7' };
    const o: SignOptions = { signedUrl: 'https://api.example.test', headers: forwarded, query: { include_entities: 'true' } };
    let fast: Answer | undefined;
    assert.equal(await fastifyCount(async () => {
      fast = await overHttp(proxied, carol, 'GET', '/1.1/account/verify_credentials.json', o);
    }), 0);
    assert.equal(fast!.status, 200, fast!.body);
    assert.deepEqual(sorted(fast!), sorted(await throughFastify(proxied, carol, 'GET', '/1.1/account/verify_credentials.json', o)));
    const h = new Map(fast!.headers);
    assert.equal(h.get('strict-transport-security'), 'max-age=31536000');
    assert.match(JSON.parse(fast!.body).profile_image_url_https, /^https:\/\/api\.example\.test\//);
    // Signed for the address it reached instead: refused by Fastify, as it would be.
    const wrong = await overHttp(proxied, carol, 'GET', '/1.1/account/verify_credentials.json', { headers: forwarded });
    assert.equal(wrong.status, 401);
  });

  test('counts what it serves in the metrics, under the route Fastify would name', async () => {
    const text = await server.deps.metrics.text();
    assert.match(text, /route="\/1\.1\/account\/verify_credentials\.json",status="200"\} [1-9]/);
    assert.match(text, /route="\/1\.1\/account\/update_profile_colors\.json",status="200"\} [1-9]/);
  });
});
