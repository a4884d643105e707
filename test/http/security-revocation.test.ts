// Tokens are revocable with immediate effect (issue #7, item 7): an access token revoked by
// the CLI (a separate process) or by the service, and a bearer token invalidated over HTTP,
// are refused (401 / 89) by the very next request, on this server and on a second
// `plumage serve` process sharing the same database. In the scaled pass both run on
// PostgreSQL, Redis and S3; nothing is cached per process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type Credentials, type TestServer } from '../helpers/server.ts';
import { signedFetch } from '../helpers/signing.ts';
import type { Config } from '../../src/config.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/plumage.js');

let server: TestServer;
let second: ChildProcess;
let secondUrl: string;
let env: NodeJS.ProcessEnv;

/** The environment that points a `plumage` process at the same storage as `config`. */
function sameStorage(config: Config): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { PATH: process.env.PATH, PLUMAGE_DATA_DIR: config.dataDir, PLUMAGE_LOG_LEVEL: 'warn' };
  if (config.database) e.PLUMAGE_DATABASE_URL = config.database.url;
  if (config.redisUrl) e.PLUMAGE_REDIS_URL = config.redisUrl;
  if (config.s3) {
    e.PLUMAGE_S3_BUCKET = config.s3.bucket;
    e.PLUMAGE_S3_REGION = config.s3.region;
    e.PLUMAGE_S3_FORCE_PATH_STYLE = String(config.s3.forcePathStyle);
    if (config.s3.endpoint) e.PLUMAGE_S3_ENDPOINT = config.s3.endpoint;
    if (config.s3.accessKeyId) e.PLUMAGE_S3_ACCESS_KEY_ID = config.s3.accessKeyId;
    if (config.s3.secretAccessKey) e.PLUMAGE_S3_SECRET_ACCESS_KEY = config.s3.secretAccessKey;
  }
  return e;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  server = await startTestServer();
  env = sameStorage(server.deps.config);
  const port = await freePort();
  secondUrl = `http://127.0.0.1:${port}`;
  second = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; ; i++) {
    if (second.exitCode !== null) throw new Error(`the second server exited with ${second.exitCode}`);
    try {
      await fetch(`${secondUrl}/1.1/nothing.json`);
      break;
    } catch {
      if (i > 300) throw new Error('the second server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
});

after(async () => {
  if (second.exitCode === null) {
    const exited = new Promise((r) => second.once('exit', r));
    second.kill('SIGTERM');
    await exited;
  }
  await server.close();
});

async function codeOn(url: string, c: Credentials): Promise<string> {
  const r = await signedFetch(url, c, 'GET', '/1.1/account/verify_credentials.json');
  return r.status === 200 ? '200' : `${r.status}/${r.json?.errors?.[0]?.code}`;
}

test('an access token revoked with the CLI is refused at once by both server processes', async () => {
  const alice = await server.account('alice');
  assert.equal(await codeOn(server.url, alice), '200');
  assert.equal(await codeOn(secondUrl, alice), '200');
  const r = spawnSync(process.execPath, [BIN, 'tokens', 'revoke', alice.token, '--json'], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { revoked: alice.token });
  assert.equal(await codeOn(server.url, alice), '401/89');
  assert.equal(await codeOn(secondUrl, alice), '401/89');
  // A write too, and a second revocation is an error, not a silent success.
  const w = await signedFetch(secondUrl, alice, 'POST', '/1.1/account/update_profile.json', { form: { name: 'x' } });
  assert.equal(`${w.status}/${w.json?.errors?.[0]?.code}`, '401/89');
  const again = spawnSync(process.execPath, [BIN, 'tokens', 'revoke', alice.token], { env, encoding: 'utf8' });
  assert.notEqual(again.status, 0);
});

test('an access token revoked through the service is refused at once by both processes; other tokens keep working', async () => {
  const bob = await server.account('bob');
  const { token } = await server.deps.accounts.issueToken(bob.consumerKey, 'bob');
  const bob2 = { ...bob, token: token.token, tokenSecret: token.secret };
  assert.equal(await codeOn(secondUrl, bob), '200');
  await server.deps.accounts.revokeToken(bob.token);
  assert.equal(await codeOn(secondUrl, bob), '401/89');
  assert.equal(await codeOn(server.url, bob), '401/89');
  assert.equal(await codeOn(secondUrl, bob2), '200');
  assert.equal(await codeOn(server.url, bob2), '200');
});

test('a bearer token invalidated on one process is refused by the other at once', async () => {
  const carol = await server.account('carol');
  const basic = `Basic ${Buffer.from(`${carol.consumerKey}:${carol.consumerSecret}`).toString('base64')}`;
  const form = (body: Record<string, string>) => ({ method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) });
  const issued = (await (await fetch(`${server.url}/oauth2/token`, form({ grant_type: 'client_credentials' }))).json()) as { access_token: string };
  const show = (url: string) => fetch(`${url}/1.1/users/show.json?screen_name=carol`, { headers: { authorization: `Bearer ${issued.access_token}` } }).then(async (r) => (r.status === 200 ? '200' : `${r.status}/${((await r.json()) as any).errors[0].code}`));
  assert.equal(await show(secondUrl), '200');
  const inv = await fetch(`${secondUrl}/oauth2/invalidate_token`, form({ access_token: issued.access_token }));
  assert.equal(inv.status, 200);
  assert.equal(await show(server.url), '401/89');
  assert.equal(await show(secondUrl), '401/89');
});
