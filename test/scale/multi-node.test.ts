// Two `plumage serve` processes sharing one PostgreSQL database, one Redis and one bucket,
// behind nginx (round robin, config generated here). What one node does, the other sees.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '../helpers/postgres.ts';
import { startS3, type TestS3 } from '../helpers/s3.ts';
import { REDIS_URL, serviceMissing } from '../helpers/services.ts';
import { tempDir, twitterApiV2, type Credentials } from '../helpers/server.ts';
import { signedFetch, signedRequest } from '../helpers/signing.ts';
import { fixture } from '../fixtures/images.ts';
import { S3BlobStore } from '../../src/storage/blobs/s3-blob-store.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/plumage.js');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, child?: ChildProcess): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (child && child.exitCode !== null) throw new Error(`process exited with ${child.exitCode}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not answer`);
}

function nginxConfig(dir: string, port: number, upstreams: number[]): string {
  return `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
daemon off;
${process.getuid?.() === 0 ? 'user root;' : ''}
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size 16m;
  # twit sends a banner's base64 in the query string.
  large_client_header_buffers 4 8m;
  upstream plumage { ${upstreams.map((p) => `server 127.0.0.1:${p};`).join(' ')} }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://plumage;
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_request_buffering on;
    }
  }
}
`;
}

const missing = (await serviceMissing('postgres')) || (await serviceMissing('redis'));

describe('two nodes behind nginx', { skip: missing }, () => {
  const children: ChildProcess[] = [];
  let dir: string;
  let s3: TestS3;
  let dropDb: () => Promise<void>;
  let nodes: string[] = [];
  let front: string;
  let alice: Credentials;
  let env: NodeJS.ProcessEnv;

  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };

  before(async () => {
    dir = tempDir('plumage-nodes-');
    s3 = await startS3();
    const db = await createTestDatabase();
    dropDb = db.drop;
    const [p1, p2, pf] = [await freePort(), await freePort(), await freePort()];
    front = `http://127.0.0.1:${pf}`;
    env = {
      PATH: process.env.PATH,
      PLUMAGE_DATA_DIR: path.join(dir, 'data'),
      PLUMAGE_DATABASE_URL: db.url,
      PLUMAGE_REDIS_URL: REDIS_URL,
      PLUMAGE_S3_ENDPOINT: s3.endpoint,
      PLUMAGE_S3_BUCKET: 'plumage-nodes',
      PLUMAGE_S3_ACCESS_KEY_ID: s3.accessKeyId,
      PLUMAGE_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      PLUMAGE_PUBLIC_URL: front,
      PLUMAGE_TRUST_PROXY: 'true',
      PLUMAGE_LOG_LEVEL: 'warn',
    };
    // Both nodes migrate at once as they start: the advisory lock makes that safe.
    for (const port of [p1, p2]) {
      const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(child);
      nodes.push(`http://127.0.0.1:${port}`);
    }
    await Promise.all(nodes.map((n, i) => waitFor(n, children[i])));
    fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxConfig(dir, pf, [p1, p2]));
    const nginx = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(nginx);
    await waitFor(front, nginx);

    cli('users', 'add', 'alice');
    const app = JSON.parse(cli('apps', 'add', 'nodes-test', '--json'));
    const tok = JSON.parse(cli('tokens', 'issue', '--consumer-key', app.consumer_key, '--user', 'alice', '--json'));
    alice = {
      consumerKey: app.consumer_key,
      consumerSecret: app.consumer_secret,
      token: tok.oauth_token,
      tokenSecret: tok.oauth_token_secret,
      userId: tok.user_id,
      screenName: 'alice',
    };
  });

  after(async () => {
    for (const c of children.reverse()) {
      c.kill('SIGTERM');
      if (c.exitCode === null) await new Promise((r) => c.once('exit', r));
    }
    await s3?.close();
    await dropDb?.();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('nginx spreads requests over both nodes, and twitter-api-v2 works through it', async () => {
    const v1 = twitterApiV2({ url: front }, alice);
    for (let i = 0; i < 4; i++) assert.equal((await v1.verifyCredentials()).screen_name, 'alice');
  });

  test('a request replayed on the other node is rejected (401 / 32)', async () => {
    // Signed for the public URL, as a client behind the proxy signs it, then sent to each node.
    const { init } = signedRequest(front, alice, 'GET', '/1.1/account/verify_credentials.json');
    const first = await fetch(`${nodes[0]}/1.1/account/verify_credentials.json`, init);
    assert.equal(first.status, 200, await first.text());
    const replay = await fetch(`${nodes[1]}/1.1/account/verify_credentials.json`, init);
    assert.equal(replay.status, 401);
    assert.equal(((await replay.json()) as any).errors[0].code, 32);
  });

  test('an update through one node is read through the other', async () => {
    const w = await signedFetch(nodes[0]!, alice, 'POST', '/1.1/account/update_profile_colors.json', { signedUrl: front, form: { profile_link_color: '0F0' } });
    assert.equal(w.status, 200, w.text);
    const r = await signedFetch(nodes[1]!, alice, 'GET', '/1.1/account/verify_credentials.json', { signedUrl: front });
    assert.equal(r.json.profile_link_color, '00FF00');
  });

  test('every media URL handed out by one node resolves through the other', async () => {
    const form = new FormData();
    form.append('image', new Blob([fixture('progressive.jpg')]));
    const up = await signedFetch(nodes[0]!, alice, 'POST', '/1.1/account/update_profile_image.json', { signedUrl: front, body: form });
    assert.equal(up.status, 200, up.text);
    const bannerForm = new FormData();
    bannerForm.append('banner', new Blob([fixture('wide.jpg')]));
    const b = await signedFetch(nodes[0]!, alice, 'POST', '/1.1/account/update_profile_banner.json', { signedUrl: front, body: bannerForm });
    assert.equal(b.status, 201, b.text);
    const sizes = await signedFetch(nodes[0]!, alice, 'GET', '/1.1/users/profile_banner.json', { signedUrl: front });
    const urls = [
      up.json.profile_image_url,
      ...['mini', 'bigger', '400x400'].map((s) => up.json.profile_image_url.replace('_normal', `_${s}`)),
      up.json.profile_image_url.replace('_normal', ''),
      ...Object.values(sizes.json.sizes).map((v: any) => v.url),
    ];
    assert.equal(urls.length, 15);
    for (const u of urls) {
      assert.ok(u.startsWith(front), u);
      const direct = await fetch(u.replace(front, nodes[1]!));
      assert.equal(direct.status, 200, u);
      assert.match(direct.headers.get('content-type') ?? '', /^image\//);
      assert.equal((await fetch(u)).status, 200, `${u} through nginx`);
    }
  });

  test('plumage gc on the bucket keeps what rows reference, deletes orphans and shows progress', async () => {
    const store = new S3BlobStore({ endpoint: s3.endpoint, bucket: 'plumage-nodes', region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true });
    // An image no row references, written long ago (its id dates from 2010).
    const orphan = 'profile_images/1000000000000000000/0123456789abcdef_normal.png';
    await store.put(orphan, fixture('small.png'), 'image/png');
    store.close();
    const r = spawnSync(process.execPath, [BIN, 'gc', '--grace-minutes', '0', '--json'], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const counts = JSON.parse(r.stdout);
    assert.equal(counts.deleted, 1);
    assert.ok(counts.kept >= 15, r.stdout);
    assert.match(r.stderr, /gc: scanned \d+, deleted 1/);
    const me = await signedFetch(nodes[1]!, alice, 'GET', '/1.1/account/verify_credentials.json', { signedUrl: front });
    assert.equal((await fetch(me.json.profile_image_url.replace(front, nodes[1]!))).status, 200);
    assert.equal((await fetch(`${nodes[0]}/${orphan}`)).status, 404);
  });

  test('plumage migrate run by two nodes at once on a fresh database applies each migration once', async () => {
    const db = await createTestDatabase();
    try {
      const env2 = { ...env, PLUMAGE_DATABASE_URL: db.url };
      const run = () =>
        new Promise<string>((resolve, reject) => {
          const c = spawn(process.execPath, [BIN, 'migrate'], { env: env2 });
          let out = '';
          c.stdout.on('data', (d) => (out += d));
          c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`migrate exited ${code}`))));
        });
      const outs = (await Promise.all([run(), run()])).map((o) => o.trim()).sort();
      // One node applied every migration, the other found nothing left to do.
      assert.match(outs[0]!, /^applied 001-initial(, \d{3}-[a-z-]+)*$/);
      assert.equal(outs[1], 'schema is up to date');
    } finally {
      await db.drop();
    }
  });

  test('a rate limit is shared across nodes', async () => {
    const bob = { ...alice };
    cli('users', 'add', 'bob');
    const tok = JSON.parse(cli('tokens', 'issue', '--consumer-key', alice.consumerKey, '--user', 'bob', '--json'));
    Object.assign(bob, { token: tok.oauth_token, tokenSecret: tok.oauth_token_secret, userId: tok.user_id, screenName: 'bob' });
    const statuses: number[] = [];
    for (let i = 0; i < 76; i++) {
      const r = await signedFetch(nodes[i % 2]!, bob, 'GET', '/1.1/account/verify_credentials.json', { signedUrl: front });
      statuses.push(r.status);
      if (i === 74) assert.equal(r.headers.get('x-rate-limit-remaining'), '0');
    }
    assert.deepEqual(statuses.slice(0, 75), Array(75).fill(200));
    assert.equal(statuses[75], 429);
  });
});
