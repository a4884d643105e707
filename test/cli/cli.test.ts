// The `plumage` executable, spawned for real (bin/plumage.js under this Node), against a fresh
// data folder: every command of issue #2 item 4, then `serve` + `request` end to end.
// Independent commands run in parallel (each spawn costs about half a second).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'plumage.js');
// Bounds on waiting for a child, so a wedged process fails the test instead of hanging the suite.
const CHILD_LIMIT_MS = 60_000;
const SERVER_START_TRIES = 200; // × 100 ms
const SERVER_EXIT_LIMIT_MS = 15_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

let dataDir = '';

/** The environment of a child: no PLUMAGE_* from the outside, only our data folder and the extras. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PLUMAGE_')) env[k] = v;
  return { ...env, PLUMAGE_DATA_DIR: dataDir, ...extra };
}

function plumage(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(extraEnv), timeout: CHILD_LIMIT_MS, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as { code?: number | string | null; signal?: NodeJS.Signals | null } | null;
      resolve({
        code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
        signal: e?.signal ?? null,
        stdout: String(stdout),
        stderr: String(stderr),
      });
    });
  });
}

function show(r: Run): string {
  return `exit ${r.code} signal ${r.signal}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

function ok(r: Run): Run {
  assert.equal(r.code, 0, show(r));
  return r;
}

/** A user error: non-zero exit, nothing on stdout, one "plumage: …" message on stderr. */
function userError(r: Run, message: RegExp): void {
  assert.notEqual(r.code, 0, show(r));
  assert.equal(r.signal, null, show(r));
  assert.equal(r.stdout, '', show(r));
  assert.match(r.stderr, /^plumage: .+\n$/, show(r));
  assert.match(r.stderr, message, show(r));
}

/** `--json` output: exactly one line holding one JSON object. */
function jsonLine(r: Run): Record<string, unknown> {
  ok(r);
  assert.match(r.stdout, /^\{.*\}\n$/, `one line of JSON expected:\n${show(r)}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** The digits of the first top-level "id" in raw JSON text (JSON.parse would round them). */
function rawId(text: string): string | undefined {
  return /"id": ?(-?\d+)[,\n}]/.exec(text)?.[1];
}

/** `key=value` lines. */
function pairs(text: string): Record<string, string> {
  return Object.fromEntries(text.trim().split('\n').map((l) => {
    const i = l.indexOf('=');
    return [l.slice(0, i), l.slice(i + 1)];
  }));
}

/** `plumage request` output: the status line, then the indented JSON body. */
function response(r: Run): { status: string; body: Record<string, unknown>; raw: string } {
  const nl = r.stdout.indexOf('\n');
  assert.ok(nl > 0, show(r));
  const raw = r.stdout.slice(nl + 1);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    assert.fail(`the body is not JSON:\n${show(r)}`);
  }
  return { status: r.stdout.slice(0, nl), body, raw };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('plumage CLI', () => {
  before(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumage-cli-'));
  });
  after(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  // Shared by the steps below, in order.
  let alice: Record<string, unknown> = {};
  let aliceRaw = '';
  let app = { key: '', secret: '' };
  let aliceToken = { token: '', secret: '' };
  let bobToken = { token: '', secret: '' };

  test('migrate: applies the schema to a fresh folder, then says it is up to date', async () => {
    const first = ok(await plumage(['migrate']));
    assert.match(first.stdout, /^applied 001-initial(, [\w-]+)*\n$/);
    assert.equal(first.stderr, '');
    assert.ok(fs.existsSync(path.join(dataDir, 'plumage.db')), 'the database is created in PLUMAGE_DATA_DIR');
    const second = ok(await plumage(['migrate']));
    assert.equal(second.stdout, 'schema is up to date\n');
    assert.equal(second.stderr, '');
  });

  test('users add, apps add, and refusals that need no account; bad configuration exits 2', async () => {
    const [add, bad, tooLong, rw, ro, nobody, badPort, certOnly] = await Promise.all([
      plumage(['users', 'add', 'alice', '--name', 'Alice Liddell', '--description', 'Down the rabbit hole', '--location', 'Oxford', '--url', 'example.org/alice', '--json']),
      plumage(['users', 'add', 'bad name!']),
      plumage(['users', 'add', 'bob', '--name', 'x'.repeat(51)]),
      plumage(['apps', 'add', 'My App', '--json']),
      plumage(['apps', 'add', 'reader', '--read-only']),
      plumage(['users', 'show', 'nobody']),
      plumage(['serve', '--port', 'abc']),
      plumage(['serve', '--port', '0'], { PLUMAGE_TLS_CERT: path.join(dataDir, 'cert.pem') }),
    ]);

    alice = jsonLine(add);
    aliceRaw = add.stdout;
    assert.equal(alice.screen_name, 'alice');
    assert.equal(alice.name, 'Alice Liddell');
    assert.equal(alice.description, 'Down the rabbit hole');
    assert.equal(alice.location, 'Oxford');
    assert.equal(alice.url, 'http://example.org/alice');
    assert.equal(typeof alice.id_str, 'string');
    assert.match(alice.id_str as string, /^[1-9]\d{15,18}$/);
    assert.ok(BigInt(alice.id_str as string) > 2n ** 53n, 'ids are 64-bit snowflakes, beyond 2^53');
    // `id` is a bare integer with exactly the digits of id_str, not a rounded double.
    assert.equal(rawId(add.stdout), alice.id_str);
    assert.ok(add.stdout.startsWith(`{"id":${alice.id_str as string},"id_str":"${alice.id_str as string}"`), add.stdout);
    assert.equal(add.stderr, '');

    userError(bad, /screen name must be 1 to 15 letters, digits or underscores: "bad name!"/);
    userError(tooLong, /Name is too long \(maximum is 50 characters\)/);
    userError(nobody, /User not found\./);

    const rwApp = jsonLine(rw);
    assert.equal(rwApp.name, 'My App');
    assert.equal(rwApp.access_level, 'read-write');
    assert.match(rwApp.consumer_key as string, /^[A-Za-z0-9]{16,}$/);
    assert.match(rwApp.consumer_secret as string, /^[A-Za-z0-9]{32,}$/);
    app = { key: rwApp.consumer_key as string, secret: rwApp.consumer_secret as string };

    ok(ro);
    const roApp = pairs(ro.stdout);
    assert.deepEqual(Object.keys(roApp), ['consumer_key', 'consumer_secret', 'access_level']);
    assert.equal(roApp.access_level, 'read');
    assert.notEqual(roApp.consumer_key, app.key);

    for (const [r, variable] of [[badPort, 'PLUMAGE_PORT'], [certOnly, 'PLUMAGE_TLS_KEY']] as const) {
      assert.equal(r.code, 2, show(r));
      assert.equal(r.stdout, '', show(r));
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, `exactly one line on stderr:\n${show(r)}`);
      assert.ok(lines[0]!.includes(variable), `the message names ${variable}:\n${show(r)}`);
    }
    assert.equal(badPort.stderr, 'plumage: configuration: PLUMAGE_PORT must be a whole number, got "abc"\n');
  });

  test('users add refuses a taken screen name in any case; tokens issue', async () => {
    const [dupUpper, bob, issued, unknownKey, unknownUser] = await Promise.all([
      plumage(['users', 'add', 'ALICE', '--json']),
      plumage(['users', 'add', 'bob']),
      plumage(['tokens', 'issue', '--consumer-key', app.key, '--user', 'Alice', '--json']),
      plumage(['tokens', 'issue', '--consumer-key', 'no-such-key', '--user', 'alice', '--json']),
      plumage(['tokens', 'issue', '--consumer-key', app.key, '--user', 'nobody']),
    ]);
    userError(dupUpper, /screen name @ALICE is already taken/);
    ok(bob);
    assert.match(bob.stdout, /^created @bob \(user id [1-9]\d+\)\n$/);

    const t = jsonLine(issued);
    assert.deepEqual(Object.keys(t).sort(), ['oauth_token', 'oauth_token_secret', 'screen_name', 'user_id']);
    assert.equal(t.user_id, alice.id_str);
    assert.equal(t.screen_name, 'alice');
    assert.ok((t.oauth_token as string).startsWith(`${alice.id_str as string}-`), `Twitter-style token "<user id>-…": ${t.oauth_token}`);
    assert.match(t.oauth_token_secret as string, /^[A-Za-z0-9]{32,}$/);
    aliceToken = { token: t.oauth_token as string, secret: t.oauth_token_secret as string };

    userError(unknownKey, /no app has consumer key no-such-key/);
    userError(unknownUser, /User not found\./);
  });

  test('users list and users show', async () => {
    const [listJson, list, showIndented, showJson, bobIssued] = await Promise.all([
      plumage(['users', 'list', '--json']),
      plumage(['users', 'list']),
      plumage(['users', 'show', 'alice']),
      plumage(['users', 'show', 'ALICE', '--json']),
      plumage(['tokens', 'issue', '--consumer-key', app.key, '--user', 'bob']),
    ]);

    const all = jsonLine(listJson);
    assert.deepEqual(Object.keys(all), ['users']);
    const users = all.users as Array<Record<string, unknown>>;
    assert.deepEqual(users.map((u) => u.screen_name), ['alice', 'bob']);
    assert.deepEqual(users[0], alice);
    // Every id in the list keeps its digits.
    const ids = [...listJson.stdout.matchAll(/"id":(\d+),"id_str":"(\d+)"/g)];
    assert.equal(ids.length, 2, listJson.stdout);
    for (const m of ids) assert.equal(m[1], m[2]);
    assert.equal(ids[0]![1], alice.id_str);

    ok(list);
    const rows = list.stdout.trim().split('\n');
    assert.equal(rows.length, 2, list.stdout);
    assert.equal(rows[0], `${alice.id_str as string}\t@alice\tAlice Liddell`);
    assert.match(rows[1]!, /^\d+\t@bob\tbob$/);

    ok(showIndented);
    assert.ok(showIndented.stdout.startsWith(`{\n  "id": ${alice.id_str as string},\n  "id_str": "${alice.id_str as string}",\n`), showIndented.stdout);
    assert.ok(showIndented.stdout.split('\n').length > 20, 'the default form is indented');
    assert.deepEqual(JSON.parse(showIndented.stdout), alice);

    const shown = jsonLine(showJson);
    assert.deepEqual(shown, alice);
    assert.equal(showJson.stdout, aliceRaw);

    ok(bobIssued);
    const b = pairs(bobIssued.stdout);
    assert.deepEqual(Object.keys(b), ['oauth_token', 'oauth_token_secret', 'user_id', 'screen_name']);
    assert.equal(b.screen_name, 'bob');
    assert.equal(b.user_id, users[1]!.id_str);
    bobToken = { token: b.oauth_token!, secret: b.oauth_token_secret! };
  });

  describe('serve and request', () => {
    let server: ChildProcess | undefined;
    let serverOut = '';
    let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({ code: null, signal: null });
    let base = '';

    before(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      server = child;
      child.stdout.on('data', (d: Buffer) => (serverOut += d.toString()));
      child.stderr.on('data', (d: Buffer) => (serverOut += d.toString()));
      exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      let up = false;
      for (let i = 0; i < SERVER_START_TRIES && !up && child.exitCode === null && child.signalCode === null; i++) {
        try {
          // Any HTTP answer means it listens (unsigned: 400 code 215).
          const res = await fetch(`${base}/1.1/account/verify_credentials.json`, { signal: AbortSignal.timeout(2000) });
          await res.arrayBuffer();
          up = true;
        } catch {
          await sleep(100);
        }
      }
      if (!up) {
        child.kill('SIGKILL');
        assert.fail(`plumage serve did not answer on ${base}:\n${serverOut}`);
      }
    });

    after(async () => {
      // Only when a step failed before the SIGTERM test: do not leave the server behind.
      if (server && server.exitCode === null && server.signalCode === null) {
        server.kill('SIGKILL');
        await exited;
      }
    });

    const creds = (c: { token: string; secret: string }, consumerSecret = app.secret) => [
      '--url', base, '--consumer-key', app.key, '--consumer-secret', consumerSecret, '--token', c.token, '--token-secret', c.secret,
    ];

    test('request --as alice, a signed update_profile, a wrong token secret, bob before revocation', async () => {
      const newName = 'Alice P. Liddell + Co & ~*=!';
      const [asAlice, update, wrong, asBob] = await Promise.all([
        plumage(['request', '--url', base, '--as', 'alice', 'GET', '/1.1/account/verify_credentials.json']),
        plumage(['request', ...creds(aliceToken), 'POST', '/1.1/account/update_profile.json', '-d', `name=${newName}`, '-d', 'location=Zürich']),
        plumage(['request', '--url', base, '--consumer-key', app.key, '--consumer-secret', app.secret, '--token', aliceToken.token, '--token-secret', `${aliceToken.secret}x`, 'GET', '/1.1/account/verify_credentials.json']),
        // Bob's token works until the next step revokes it.
        plumage(['request', ...creds(bobToken), 'GET', '/1.1/account/verify_credentials.json']),
      ]);

      ok(asAlice);
      const me = response(asAlice);
      assert.equal(me.status, 'HTTP 200 OK');
      assert.equal(me.body.screen_name, 'alice');
      assert.equal(me.body.id_str, alice.id_str);
      assert.equal(rawId(me.raw), alice.id_str, `exact id digits:\n${me.raw}`);

      ok(update);
      const updated = response(update);
      assert.equal(updated.status, 'HTTP 200 OK');
      assert.equal(updated.body.name, newName);
      assert.equal(updated.body.location, 'Zürich');
      assert.equal(updated.body.description, 'Down the rabbit hole', 'fields not given stay');

      assert.equal(wrong.code, 1, show(wrong));
      const denied = response(wrong);
      assert.equal(denied.status, 'HTTP 401 Unauthorized');
      assert.deepEqual(denied.body, { errors: [{ code: 32, message: 'Could not authenticate you.' }] });

      ok(asBob);
      assert.equal(response(asBob).status, 'HTTP 200 OK');
      assert.equal(response(asBob).body.screen_name, 'bob');

      const stored = jsonLine(await plumage(['users', 'show', 'alice', '--json']));
      assert.equal(stored.name, newName);
      assert.equal(stored.location, 'Zürich');
      assert.equal(stored.id_str, alice.id_str);
    });

    test('tokens revoke: the server refuses the token with 401 code 89; revoking again fails', async () => {
      const revoked = ok(await plumage(['tokens', 'revoke', bobToken.token]));
      assert.equal(revoked.stdout, 'revoked\n');

      const [again, refused] = await Promise.all([
        plumage(['tokens', 'revoke', bobToken.token, '--json']),
        plumage(['request', ...creds(bobToken), 'GET', '/1.1/account/verify_credentials.json']),
      ]);
      userError(again, /no active token has that value/);
      assert.equal(refused.code, 1, show(refused));
      const r = response(refused);
      assert.equal(r.status, 'HTTP 401 Unauthorized');
      assert.deepEqual(r.body, { errors: [{ code: 89, message: 'Invalid or expired token.' }] });
    });

    test('SIGTERM stops the server with exit code 0', async () => {
      assert.ok(server, 'the server was started');
      assert.ok(server.kill('SIGTERM'), 'SIGTERM was delivered');
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<'limit'>((resolve) => {
        timer = setTimeout(() => resolve('limit'), SERVER_EXIT_LIMIT_MS);
      });
      const result = await Promise.race([exited, limit]);
      clearTimeout(timer);
      if (result === 'limit') {
        server.kill('SIGKILL');
        assert.fail(`plumage serve did not exit within ${SERVER_EXIT_LIMIT_MS} ms of SIGTERM:\n${serverOut}`);
      }
      assert.deepEqual(result, { code: 0, signal: null }, serverOut);
      assert.match(serverOut, /SIGTERM: closing/);
    });
  });

  test('serve still exits on SIGTERM once the reader of its log has gone (EPIPE)', async () => {
    // A log collector that died: the server's stdout is a pipe nobody reads any more. Lines
    // still buffered when it stops must not keep the process from exiting.
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    let timer: NodeJS.Timeout | undefined;
    try {
      let status = 0;
      for (let i = 0; i < SERVER_START_TRIES && status === 0 && child.exitCode === null; i++) {
        status = await fetch(`http://127.0.0.1:${port}/1.1/account/verify_credentials.json`, { signal: AbortSignal.timeout(2000) })
          .then(async (r) => { await r.arrayBuffer(); return r.status; }, async () => { await sleep(100); return 0; });
      }
      assert.equal(status, 400, `plumage serve did not answer:\n${err}`);
      child.stdout.destroy();
      // Access lines for these sit in the log's buffer, to be written to the closed pipe.
      for (let i = 0; i < 3; i++) await (await fetch(`http://127.0.0.1:${port}/1.1/users/show.json?screen_name=x`)).arrayBuffer();
      assert.ok(child.kill('SIGTERM'), 'SIGTERM was delivered');
      const limit = new Promise<'limit'>((resolve) => {
        timer = setTimeout(() => resolve('limit'), SERVER_EXIT_LIMIT_MS);
      });
      const result = await Promise.race([exited, limit]);
      assert.notEqual(result, 'limit', `plumage serve did not exit within ${SERVER_EXIT_LIMIT_MS} ms of SIGTERM:\n${err}`);
      assert.deepEqual(result, { code: 0, signal: null }, err);
    } finally {
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  });
});
