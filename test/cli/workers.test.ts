// `plumage serve --workers N`, spawned for real: the primary refuses several workers without
// Redis (nonces would be per process), and with Redis a request replayed to another worker is
// refused, updates from every worker land in the one SQLite file, and a token revoked by the
// CLI is refused at once by every worker (no cached credentials).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.ts';
import { createDeps } from '../../src/deps.ts';
import { oauthClient } from '../helpers/signing.ts';
import { tempDir, type Credentials } from '../helpers/server.ts';
import { REDIS_TEST_URL } from '../helpers/redis.ts';
import { requireService } from '../helpers/services.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'plumage.js');
const CHILD_LIMIT_MS = 60_000;

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PLUMAGE_')) env[k] = v;
  return { ...env, ...extra };
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(env), timeout: CHILD_LIMIT_MS, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** One request on a connection of its own, so that the cluster may hand it to any worker. */
function send(port: number, method: string, urlPath: string, headers: Record<string, string>, body?: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('plumage serve --workers', () => {
  let dir = '';
  before(() => {
    dir = tempDir('plumage-workers-');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('more than one worker without Redis is refused: nonces would live in one process each', async () => {
    const r = await run(['serve', '--workers', '2', '--port', String(await freePort())], { PLUMAGE_DATA_DIR: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^plumage: --workers > 1 needs PLUMAGE_REDIS_URL/);
    assert.equal(r.stdout, '');
    const bad = await run(['serve', '--workers', 'many'], { PLUMAGE_DATA_DIR: dir });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--workers must be a whole number from 1 to 64/);
  });

  describe('two workers with Redis', () => {
    let child: ChildProcess;
    let out = '';
    let port = 0;
    let creds: Credentials;
    const env = () => ({ PLUMAGE_DATA_DIR: dir, PLUMAGE_REDIS_URL: REDIS_TEST_URL, PLUMAGE_LOG_LEVEL: 'info', PLUMAGE_RATE_LIMITS: 'off' });

    before(async () => {
      await requireService('redis');
      const deps = await createDeps(loadConfig({ dataDir: dir }));
      try {
        await deps.accounts.addUser({ screenName: 'wally' });
        const app = await deps.accounts.addApp('workers', 'read-write');
        const { token } = await deps.accounts.issueToken(app.consumerKey, 'wally');
        creds = { consumerKey: app.consumerKey, consumerSecret: app.consumerSecret, token: token.token, tokenSecret: token.secret } as Credentials;
      } finally {
        await deps.close();
      }
      port = await freePort();
      child = spawn(process.execPath, [BIN, 'serve', '--workers', '2', '--port', String(port)], { cwd: ROOT, env: childEnv(env()), stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      // Both workers report that they listen.
      for (let i = 0; i < 600 && (out.match(/Plumage listening/g) ?? []).length < 2; i++) {
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal((out.match(/Plumage listening/g) ?? []).length, 2, out);
    });

    after(async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
    });

    const sign = (method: string, urlPath: string, data: Record<string, string> = {}, nonce?: string) => {
      const oauth = oauthClient(creds, nonce ? { nonce } : {});
      return oauth.toHeader(oauth.authorize({ url: `http://127.0.0.1:${port}${urlPath}`, method, data }, { key: creds.token, secret: creds.tokenSecret })).Authorization;
    };

    test('a request replayed on fresh connections is accepted once, whichever worker gets it', async () => {
      const p = '/1.1/account/verify_credentials.json';
      const authorization = sign('GET', p, {}, `replay${Date.now()}`);
      const answers = [];
      for (let i = 0; i < 8; i++) answers.push(await send(port, 'GET', p, { authorization }));
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 401, 401, 401, 401, 401, 401, 401]);
      for (const a of answers.filter((x) => x.status === 401)) assert.equal(a.json.errors[0].code, 32);
      // The eight connections were spread over both workers (the log names each one's pid).
      // Log lines are written 4 KB at a time or every 200 ms: give them up to 5 s to arrive.
      const pidsLogged = () => new Set([...out.matchAll(/"pid":(\d+)[^\n]*"msg":"request completed"/g)].map((m) => m[1]));
      for (let i = 0; i < 50 && pidsLogged().size < 2; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(pidsLogged().size, 2, out);
    });

    test('updates from both workers land in the one SQLite file', async () => {
      const p = '/1.1/account/update_profile_colors.json';
      for (let i = 0; i < 10; i++) {
        const colour = `00000${i}`;
        const data = { profile_link_color: colour };
        const r = await send(port, 'POST', p, { authorization: sign('POST', p, data), 'content-type': 'application/x-www-form-urlencoded' }, `profile_link_color=${colour}`);
        assert.equal(r.status, 200);
        assert.equal(r.json.profile_link_color, colour);
      }
      for (let i = 0; i < 4; i++) {
        const v = await send(port, 'GET', '/1.1/account/verify_credentials.json', { authorization: sign('GET', '/1.1/account/verify_credentials.json') });
        assert.equal(v.json.profile_link_color, '000009');
      }
    });

    test('a token revoked by the CLI is refused at once by every worker', async () => {
      const p = '/1.1/account/verify_credentials.json';
      assert.equal((await send(port, 'GET', p, { authorization: sign('GET', p) })).status, 200);
      const r = await run(['tokens', 'revoke', creds.token], { PLUMAGE_DATA_DIR: dir });
      assert.equal(r.code, 0, r.stderr);
      for (let i = 0; i < 6; i++) {
        const a = await send(port, 'GET', p, { authorization: sign('GET', p) });
        assert.equal(a.status, 401);
        assert.equal(a.json.errors[0].code, 89);
      }
    });

    test('SIGTERM stops the primary and its workers', async () => {
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      await assert.rejects(send(port, 'GET', '/', {}));
    });
  });
});
