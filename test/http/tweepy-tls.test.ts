// tweepy (Debian python3-tweepy, unmodified) against the test server over native HTTPS
// (PLUMAGE_TLS_CERT/KEY): tweepy hard-codes https://, so this is how Python users connect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, tempDir } from '../helpers/server.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLIENT = path.join(here, 'tweepy_client.py');
// The Debian interpreter: python3-tweepy is installed for it, not for whatever python3 is first on PATH.
const PYTHON = '/usr/bin/python3';
// A bound on each child process, so a wedged child fails the test instead of hanging the suite.
const CHILD_LIMIT_MS = 60_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { ...opts, timeout: CHILD_LIMIT_MS, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: NodeJS.Signals | null }) | null;
      if (e && typeof e.code === 'string') {
        // The program could not be started at all (ENOENT and the like).
        resolve({ code: null, signal: null, stdout: String(stdout), stderr: `${String(stderr)}${e.message}` });
        return;
      }
      resolve({ code: e ? (e.code as number | undefined) ?? null : 0, signal: e?.signal ?? null, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** The environment for the Debian interpreter: no pyenv/virtualenv leftovers, no proxy for loopback. */
function pythonEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['PYTHONHOME', 'PYTHONPATH', 'VIRTUAL_ENV', 'PYTHONSTARTUP']) delete env[k];
  env.NO_PROXY = '127.0.0.1,localhost';
  env.no_proxy = '127.0.0.1,localhost';
  env.PYTHONIOENCODING = 'utf-8';
  return { ...env, ...extra };
}

test('tweepy over HTTPS: verify_credentials, update_profile round-trip, wrong secret → Unauthorized [32]', async () => {
  const probe = await run(PYTHON, ['-c', 'import tweepy'], { env: pythonEnv({}) });
  if (probe.code !== 0) {
    assert.fail(`python3-tweepy is missing: "${PYTHON} -c 'import tweepy'" failed (CI installs the Debian package python3-tweepy; run "apt-get install python3-tweepy"): ${probe.stderr.trim()}`);
  }

  const dir = tempDir('plumage-tweepy-');
  let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
  try {
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    const ssl = await run('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', key, '-out', cert,
    ], { cwd: dir });
    assert.equal(ssl.code, 0, `openssl failed: ${ssl.stderr}`);

    server = await startTestServer({ tlsCert: cert, tlsKey: key });
    assert.ok(server.url.startsWith('https://127.0.0.1:'), `the test server should serve HTTPS, got ${server.url}`);
    const alice = await server.account('alice');
    // The raw request lines, to check how tweepy sent the profile (before Fastify parses them).
    const requestLines: string[] = [];
    server.app.server.prependListener('request', (req: { method?: string; url?: string }) => {
      requestLines.push(`${req.method} ${req.url}`);
    });

    const wanted = { name: 'Tweepy + Friends ~*!', location: 'Zürich', description: 'a b&c=d' };
    const r = await run(PYTHON, [CLIENT, `127.0.0.1:${server.port}`, alice.consumerKey, alice.consumerSecret, alice.token, alice.tokenSecret], {
      env: pythonEnv({
        REQUESTS_CA_BUNDLE: cert,
        PLUMAGE_NEW_NAME: wanted.name,
        PLUMAGE_NEW_LOCATION: wanted.location,
        PLUMAGE_NEW_DESCRIPTION: wanted.description,
      }),
    });
    assert.equal(r.code, 0, `tweepy_client.py exited ${r.code} (signal ${r.signal}): ${r.stderr}`);
    let out: Record<string, unknown>;
    try {
      out = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
    } catch {
      assert.fail(`tweepy_client.py did not print JSON: ${r.stdout}\n${r.stderr}`);
    }
    assert.equal(out.error, undefined, `tweepy failed at step "${String((out.steps as string[] | undefined)?.at(-1))}": ${String(out.error)}\n${String(out.traceback)}`);

    assert.deepEqual(out.verify, { id_str: alice.userId, screen_name: 'alice', has_email: false });
    assert.deepEqual(out.verify_email, { id_str: alice.userId, screen_name: 'alice' });

    // What tweepy got back from update_profile: every value exactly as sent.
    assert.equal(out.id_str, alice.userId);
    assert.equal(out.screen_name, 'alice');
    assert.equal(out.name, wanted.name);
    assert.equal(out.location, wanted.location);
    assert.equal(out.description, wanted.description);

    // tweepy put the profile in the query string of the POST, spaces as '+'.
    const update = requestLines.filter((l) => l.startsWith('POST /1.1/account/update_profile.json?'));
    assert.equal(update.length, 1, `one update_profile request expected, saw: ${requestLines.join(' | ')}`);
    const query = new URL(update[0]!.slice('POST '.length), 'https://127.0.0.1').search;
    assert.match(query, /[?&]name=Tweepy\+%2B\+Friends\+/);
    assert.match(query, /[?&]description=a\+b%26c%3Dd(&|$)/);
    assert.match(query, /[?&]location=Z%C3%BCrich(&|$)/);
    assert.equal(requestLines.length, 4, `four requests expected: ${requestLines.join(' | ')}`);

    // The wrong consumer secret: 401 code 32, raised as tweepy's Unauthorized.
    assert.deepEqual(out.wrong_secret, {
      raised: 'Unauthorized',
      status: 401,
      api_codes: [32],
      api_messages: ['Could not authenticate you.'],
    });
    assert.deepEqual(out.api_codes, [32]);

    // And the profile really changed in storage.
    const stored = await server.deps.profile.byId(alice.userId);
    assert.equal(stored.name, wanted.name);
    assert.equal(stored.location, wanted.location);
    assert.equal(stored.description, wanted.description);
    assert.equal(stored.screenName, 'alice');
  } finally {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
