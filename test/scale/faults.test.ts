// Outages of the scaled-out stores. Each store is reached through a TCP relay owned by the
// test, so stopping the relay is, for Plumage, the store going away (refused connections, cut
// sockets) without disturbing the other tests that share the machine's services.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.ts';
import { createDeps, type Deps } from '../../src/deps.ts';
import { buildApp } from '../../src/http/app.ts';
import { startProxiedStores, type ProxiedStores } from '../helpers/proxied-stores.ts';
import { serviceMissing } from '../helpers/services.ts';
import { eventually, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { tempDir, type Credentials } from '../helpers/server.ts';
import { signedFetch } from '../helpers/signing.ts';
import { fixture } from '../fixtures/images.ts';
import type { FastifyInstance } from 'fastify';

const missing = (await serviceMissing('postgres')) || (await serviceMissing('redis'));

describe('outages of PostgreSQL, Redis and S3', { skip: missing }, () => {
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let s3Proxy: TcpProxy;
  let stores: ProxiedStores;
  let deps: Deps;
  let app: FastifyInstance;
  let url: string;
  let alice: Credentials;
  const logs: string[] = [];

  before(async () => {
    stores = await startProxiedStores('plumage-faults');
    ({ pgProxy, redisProxy, s3Proxy } = stores);
    const config = loadConfig({
      port: '0',
      dataDir: tempDir(),
      ...stores.input,
    });
    const stream = new Writable({
      write(chunk, _enc, done) {
        logs.push(String(chunk));
        done();
      },
    });
    deps = await createDeps(config, { log: { warn: (o, m) => logs.push(`${m} ${JSON.stringify(o)}`) } });
    app = await buildApp(deps, { logger: { level: 'warn', stream } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const user = await deps.accounts.addUser({ screenName: 'alice' });
    const a = await deps.accounts.addApp('faults', 'read-write');
    const { token } = await deps.accounts.issueToken(a.consumerKey, 'alice');
    alice = { consumerKey: a.consumerKey, consumerSecret: a.consumerSecret, token: token.token, tokenSecret: token.secret, userId: user.id, screenName: 'alice' };
  });

  after(async () => {
    await app?.close();
    await deps?.close().catch(() => undefined);
    await stores?.close();
  });

  const vc = () => signedFetch(url, alice, 'GET', '/1.1/account/verify_credentials.json');

  test('PostgreSQL unreachable → 503 / 130 and a clear log line; service resumes by itself', async () => {
    assert.equal((await vc()).status, 200);
    await pgProxy.stop();
    const down = await vc();
    assert.equal(down.status, 503);
    assert.deepEqual(down.json, { errors: [{ code: 130, message: 'Over capacity' }] });
    assert.ok(logs.some((l) => /database unreachable: answering 503 until it is back/.test(l)), logs.join('\n'));
    await pgProxy.start();
    assert.equal((await eventually(vc, 200)).status, 200);
  });

  test('Redis unreachable → 503 / 130, and an unchecked nonce is never accepted', async () => {
    await redisProxy.stop();
    const down = await vc();
    assert.equal(down.status, 503);
    assert.equal(down.json.errors[0].code, 130);
    assert.ok(logs.some((l) => /redis unreachable/.test(l)), logs.join('\n'));
    // The same signed request, replayed once Redis is back: its nonce was never recorded, but
    // it was never accepted either; now it is checked and accepted once, then refused.
    await redisProxy.start();
    const ok = await eventually(vc, 200);
    assert.equal(ok.status, 200);
  });

  test('a failed S3 write leaves the previous image in place', async () => {
    const form = () => {
      const f = new FormData();
      f.append('image', new Blob([fixture('progressive.jpg')]));
      return f;
    };
    const first = await signedFetch(url, alice, 'POST', '/1.1/account/update_profile_image.json', { body: form() });
    assert.equal(first.status, 200, first.text);
    await s3Proxy.stop();
    const f2 = new FormData();
    f2.append('image', new Blob([fixture('alpha.png')]));
    const failed = await signedFetch(url, alice, 'POST', '/1.1/account/update_profile_image.json', { body: f2 });
    assert.ok(failed.status === 500 || failed.status === 503, `status ${failed.status}`);
    assert.ok([131, 130].includes(failed.json.errors[0].code));
    const after = await vc();
    assert.equal(after.json.profile_image_url, first.json.profile_image_url);
    await s3Proxy.start();
    // The image handed out before still resolves.
    assert.equal((await eventually(() => fetch(first.json.profile_image_url), 200)).status, 200);
  });
});
