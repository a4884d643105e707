// GET /readyz while PostgreSQL, Redis or the S3 server goes away and comes back: each store is
// reached through a TCP relay owned by the test (see faults.test.ts), and a listener that
// accepts connections but never answers stands for a hung database.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { loadConfig } from '../../src/config.ts';
import { createDeps, type Deps } from '../../src/deps.ts';
import { buildApp } from '../../src/http/app.ts';
import { startProxiedStores, type ProxiedStores } from '../helpers/proxied-stores.ts';
import { serviceMissing } from '../helpers/services.ts';
import { eventually, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { tempDir } from '../helpers/server.ts';
import type { FastifyInstance } from 'fastify';

const missing = (await serviceMissing('postgres')) || (await serviceMissing('redis'));

interface Ready {
  status: number;
  body: { status: string; down?: string[]; checks: Record<string, { ok: boolean; ms: number; error?: string }> };
}

async function readyz(url: string): Promise<Ready> {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as Ready['body'] };
}

describe('readiness while stores go away', { skip: missing }, () => {
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let s3Proxy: TcpProxy;
  let stores: ProxiedStores;
  let deps: Deps;
  let app: FastifyInstance;
  let url: string;

  before(async () => {
    stores = await startProxiedStores('plumage-readiness');
    ({ pgProxy, redisProxy, s3Proxy } = stores);
    const config = loadConfig({
      port: '0',
      dataDir: tempDir(),
      ...stores.input,
    });
    deps = await createDeps(config);
    app = await buildApp(deps);
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });

  after(async () => {
    await app?.close();
    await deps?.close().catch(() => undefined);
    await stores?.close();
  });

  test('all up: 200 with the three checks', async () => {
    const r = await readyz(url);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body.checks).sort(), ['blobs', 'database', 'redis']);
    assert.equal(r.body.status, 'ok');
  });

  for (const [store, proxy] of [['database', () => pgProxy], ['redis', () => redisProxy], ['blobs', () => s3Proxy]] as const) {
    test(`${store} unreachable: 503 naming it, the others still ok; back to 200 when it returns`, async () => {
      await proxy().stop();
      const down = await readyz(url);
      assert.equal(down.status, 503, JSON.stringify(down.body));
      assert.equal(down.body.status, 'unavailable');
      assert.deepEqual(down.body.down, [store]);
      assert.equal(down.body.checks[store]!.ok, false);
      assert.match(down.body.checks[store]!.error!, /^[A-Za-z0-9_]+$/);
      for (const [name, c] of Object.entries(down.body.checks)) if (name !== store) assert.equal(c.ok, true, name);
      // The healthz probe does not depend on the stores.
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      await proxy().start();
      const back = await eventually(() => readyz(url), 200);
      assert.equal(back.status, 200, JSON.stringify(back.body));
    });
  }

  test('a database that accepts connections but never answers: 503 with "timeout"', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const sockets = new Set<net.Socket>();
    silent.on('connection', (s) => sockets.add(s));
    const hung = await createDeps(
      loadConfig({ port: '0', dataDir: tempDir(), databaseUrl: `postgres://root@127.0.0.1:${(silent.address() as net.AddressInfo).port}/none` }),
      { migrate: false },
    );
    const hungApp = await buildApp(hung);
    await hungApp.listen({ host: '127.0.0.1', port: 0 });
    try {
      const r = await readyz(`http://127.0.0.1:${(hungApp.server.address() as { port: number }).port}`);
      assert.equal(r.status, 503);
      assert.deepEqual(r.body.down, ['database']);
      assert.equal(r.body.checks.database!.error, 'timeout');
      assert.equal(r.body.checks.blobs!.ok, true);
    } finally {
      await hungApp.close();
      for (const s of sockets) s.destroy();
      await hung.close().catch(() => undefined);
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
