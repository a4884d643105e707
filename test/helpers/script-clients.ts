// The plumbing of the tests that drive real clients written in other languages (tweepy,
// python-twitter, Net::Twitter, the Ruby gem): the Debian interpreters, child processes with a
// time bound, clean environments, checks that the Debian packages are installed, a request
// recorder, the JSON the client scripts print, and the HTTPS test server with its self-signed
// certificate.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { startTestServer, tempDir, type TestServer } from './server.ts';

// The Debian interpreter: python3-tweepy is installed for it, not for whatever python3 is first on PATH.
export const PYTHON = '/usr/bin/python3';
// A bound on each child process, so a wedged child fails the test instead of hanging the suite.
export const CHILD_LIMIT_MS = 60_000;

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The bound on the child; CHILD_LIMIT_MS unless given. */
  timeoutMs?: number;
}

/** Runs a program to its end (or the time bound, then SIGKILL); never rejects. */
export function runChild(cmd: string, args: string[], opts: RunOptions = {}): Promise<Run> {
  const { timeoutMs = CHILD_LIMIT_MS, ...rest } = opts;
  return new Promise((resolve) => {
    execFile(cmd, args, { ...rest, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
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
export function pythonEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['PYTHONHOME', 'PYTHONPATH', 'VIRTUAL_ENV', 'PYTHONSTARTUP']) delete env[k];
  env.NO_PROXY = '127.0.0.1,localhost';
  env.no_proxy = '127.0.0.1,localhost';
  env.PYTHONIOENCODING = 'utf-8';
  return { ...env, ...extra };
}

/** Fails the test, saying how to install it, when the Debian interpreter cannot import tweepy. */
export async function requireTweepy(opts: { timeoutMs?: number } = {}): Promise<void> {
  const probe = await runChild(PYTHON, ['-c', 'import tweepy'], { env: pythonEnv({}), ...opts });
  if (probe.code !== 0) {
    assert.fail(`python3-tweepy is missing: "${PYTHON} -c 'import tweepy'" failed (CI installs the Debian package python3-tweepy; run "apt-get install python3-tweepy"): ${probe.stderr.trim()}`);
  }
}

/** A self-signed certificate for 127.0.0.1 (cert.pem, key.pem in dir), made with openssl. */
export async function selfSignedCert(dir: string, opts: { timeoutMs?: number } = {}): Promise<{ cert: string; key: string }> {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const ssl = await runChild('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', key, '-out', cert,
  ], { cwd: dir, ...opts });
  assert.equal(ssl.code, 0, `openssl failed: ${ssl.stderr}`);
  return { cert, key };
}

/**
 * What a client script printed, once it is known to have exited 0 and printed one JSON object
 * with no `error` in it (`failure` words the assertion message when there is one). `label`
 * names the script in the messages ("tweepy_images.py upload").
 */
export function scriptOutput<T extends Record<string, unknown> = Record<string, unknown>>(r: Run, label: string, failure: (out: T) => string): T {
  assert.equal(r.code, 0, `${label} exited ${r.code} (signal ${r.signal}): ${r.stderr}`);
  let out: T;
  try {
    out = JSON.parse(r.stdout.trim()) as T;
  } catch {
    assert.fail(`${label} did not print JSON: ${r.stdout}\n${r.stderr}`);
  }
  assert.equal(out.error, undefined, failure(out));
  return out;
}

/** The step a client script was at, as it printed its `steps`. */
export function lastStep(out: { steps?: unknown }): string {
  return String((out.steps as string[] | undefined)?.at(-1));
}

export interface TlsTestServer {
  server: TestServer;
  /** The certificate's PEM file, for the client's trust store (REQUESTS_CA_BUNDLE, SSL_CERT_FILE). */
  cert: string;
  /** An agent that trusts the certificate and nothing else, for this side's own fetches. */
  agent: https.Agent;
  /** Destroys the agent, closes the server and removes the certificate's folder. */
  close(): Promise<void>;
}

/** The test server on native HTTPS (PLUMAGE_TLS_CERT/KEY) with a fresh self-signed certificate for 127.0.0.1. */
export async function startTlsTestServer(dirPrefix: string, opts: { timeoutMs?: number } = {}): Promise<TlsTestServer> {
  const dir = tempDir(dirPrefix);
  let server: TestServer | undefined;
  let agent: https.Agent | undefined;
  const close = async () => {
    agent?.destroy();
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { cert, key } = await selfSignedCert(dir, opts);
    server = await startTestServer({ tlsCert: cert, tlsKey: key });
    assert.ok(server.url.startsWith('https://127.0.0.1:'), `the test server should serve HTTPS, got ${server.url}`);
    agent = new https.Agent({ ca: fs.readFileSync(cert), keepAlive: false });
    return { server, cert, agent, close };
  } catch (e) {
    await close();
    throw e;
  }
}

// The Debian Perl: libnet-twitter-perl is installed for it.
export const PERL = '/usr/bin/perl';

/** The environment for the Debian Perl: no local::lib or PERL5OPT leftovers, no proxy for loopback (LWP reads *_proxy). */
export function perlEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['PERL5LIB', 'PERL5OPT', 'PERLLIB', 'PERL_LOCAL_LIB_ROOT']) delete env[k];
  env.NO_PROXY = '127.0.0.1,localhost';
  env.no_proxy = '127.0.0.1,localhost';
  return { ...env, ...extra };
}

/**
 * Fails the test, naming the Debian package to install, when the Debian interpreter cannot load
 * a module: requireModule('python', 'twitter', 'python3-twitter'),
 * requireModule('perl', 'Net::Twitter', 'libnet-twitter-perl').
 */
export async function requireModule(lang: 'python' | 'perl', module: string, debianPackage: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  const [cmd, args, env] = lang === 'python'
    ? [PYTHON, ['-c', `import ${module}`], pythonEnv({})]
    : [PERL, [`-M${module}`, '-e', '1'], perlEnv({})];
  const probe = await runChild(cmd, args, { env, ...opts });
  if (probe.code !== 0) {
    assert.fail(`${debianPackage} is missing: "${cmd} ${args.join(' ')}" failed (CI installs the Debian package ${debianPackage}; run "apt-get install ${debianPackage}"): ${probe.stderr.trim()}`);
  }
}

export interface RecordedRequest {
  /** The request line without the version: `${method} ${url}`. */
  line: string;
  method: string;
  /** The raw request target, as sent (a trailing bare '?' is kept). */
  url: string;
  path: string;
  query: string;
  /** The content-type header, '' when there is none. */
  type: string;
  /** The status Plumage answered, once the response has finished. */
  status?: number;
  /** The request body as it arrived (the first maxBodyBytes of it). */
  body: Buffer;
}

/**
 * Records every request the server receives, before the app parses it: the request line, the
 * content type, the body bytes and, once answered, the status. The body is copied as the HTTP
 * parser hands it to the request stream, so the app still reads it unchanged.
 */
export function recordRequests(
  server: { prependListener(event: 'request', listener: (req: IncomingMessage, res: ServerResponse) => void): unknown },
  opts: { maxBodyBytes?: number } = {},
): RecordedRequest[] {
  const { maxBodyBytes = 4 * 1024 * 1024 } = opts;
  const seen: RecordedRequest[] = [];
  server.prependListener('request', (req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    let size = 0;
    const r: RecordedRequest = {
      line: `${req.method} ${req.url}`,
      method: req.method ?? '',
      url: req.url ?? '',
      path: u.pathname,
      query: u.search,
      type: String(req.headers['content-type'] ?? ''),
      get body() {
        return Buffer.concat(chunks);
      },
    };
    seen.push(r);
    // The HTTP parser pushes body chunks only after the 'request' event, so none are missed.
    const push = req.push;
    req.push = function (chunk: unknown, encoding?: BufferEncoding) {
      if (chunk != null && size < maxBodyBytes) {
        const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), encoding);
        chunks.push(Buffer.from(b.subarray(0, maxBodyBytes - size)));
        size += b.length;
      }
      return push.call(this, chunk, encoding);
    };
    res.on('finish', () => {
      r.status = res.statusCode;
    });
  });
  return seen;
}

/** The first recorded request whose line starts with `prefix`; fails, listing what was seen, when there is none. */
export function firstRequest(seen: RecordedRequest[], prefix: string): RecordedRequest {
  const hits = seen.filter((s) => s.line.startsWith(prefix));
  assert.ok(hits.length >= 1, `no request starting "${prefix}"; saw: ${seen.map((s) => s.line).join(' | ')}`);
  return hits[0]!;
}
