// `npm run bench [-- --quick] [-- --json]`: how fast Plumage is, as ratios against baselines run
// in the same invocation, so that the figures survive a noisy, shared machine. Every
// measurement is repeated and the median is quoted. See docs/benchmarks.md.
//
//  B1 update_profile_colors and B2 verify_credentials: `plumage serve` in its own process on
//     embedded storage (SQLite in WAL mode, every update committed before the answer), driven
//     over loopback by wrk replaying requests signed beforehand by the oauth-1.0a package (a
//     fresh nonce each, each used once), 32 connections. Baselines: (a) a bare Fastify route
//     answering the same user JSON, (b) Stoplight Prism mocking the seed file (B1). The
//     baseline is also driven with one unsigned request: both rates must agree within 20%,
//     else the load generator was the bottleneck and the run is invalid. Any non-2xx answer
//     makes a run invalid too. B1 also with 2 workers, and B1/B2 on PostgreSQL + Redis.
//  B3 update_profile_image: a 1600×1600 JPEG of about 650 KB, end-to-end p50 at concurrency
//     1 and images per second at concurrency 4, against the fastest in-process sharp pipeline
//     making the same variants.
//  B4 memory: peak RSS of the server over uploads and colour updates, and its trend.
//  B5 start-up: `plumage serve` to its first 200 answer.
//
// Rate limits are off while measuring (PLUMAGE_RATE_LIMITS=off): a real ceiling of 300
// updates per 15 minutes would turn the benchmark into a test of 429s.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OAuth from 'oauth-1.0a';
import sharp, { type Sharp } from 'sharp';
import pg from 'pg';
import { loadConfig, inputFromEnv } from '../src/config.ts';
import { createDeps } from '../src/deps.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BENCH = path.join(ROOT, 'bench');
const BIN = path.join(ROOT, 'bin/plumage.js');
const SEED = path.resolve(ROOT, '../shared/seed/000_06b352a5a4460cea.txt');
const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const JSON_OUT = argv.includes('--json');
// --only b1,b3,…: a subset, while working on one thing (the others print n/a).
const ONLY = argv.includes('--only') ? (argv[argv.indexOf('--only') + 1] ?? '').split(',') : null;
// The workers and scaled rows feed none of the seven keys: --quick leaves them to the full run
// (which it must finish in under 90 s), unless --only names them.
const QUICK_SKIPS = new Set(['workers', 'scaled']);
const want = (stage: string) => (ONLY === null ? !(QUICK && QUICK_SKIPS.has(stage)) : ONLY.includes(stage));
const notRun = ONLY === null ? 'not run (--quick: the full run has it)' : 'not run (--only)';
const PG_ADMIN_URL = process.env.PLUMAGE_BENCH_PG_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.PLUMAGE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

const P = QUICK
  ? { rounds: 3, seconds: 2, minPool: 10_000, imageRuns: 9, imageSeconds: 3, memBlocks: 4, memUploads: 20, memUpdates: 5_000, startups: 5, extraRounds: 1, prismRounds: 2 }
  : { rounds: 5, seconds: 5, minPool: 25_000, imageRuns: 25, imageSeconds: 10, memBlocks: 10, memUploads: 200, memUpdates: 20_000, startups: 9, extraRounds: 3, prismRounds: 3 };
const CONNECTIONS = 32;

// ---------------------------------------------------------------------------------------------
// Housekeeping: every child and temporary folder is removed on any exit.

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const cleanups: Array<() => Promise<void>> = [];
function tempDir(label: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `plumage-bench-${label}-`));
  tempDirs.add(d);
  return d;
}
function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killAll();
    process.exit(130);
  });
}

const out: string[] = [];
function say(line = ''): void {
  out.push(line);
  process.stdout.write(`${line}\n`);
}
function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(20);
  }
  throw new Error(`nothing listening on ${port} after ${timeoutMs} ms`);
}

function spawnChild(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): ChildProcess {
  const c = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  let tail = '';
  const keep = (b: Buffer) => { tail = (tail + b.toString()).slice(-4000); };
  c.stdout!.on('data', keep);
  c.stderr!.on('data', keep);
  (c as ChildProcess & { tail: () => string }).tail = () => tail;
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

// ---------------------------------------------------------------------------------------------
// Plumage: accounts made through the services, then `plumage serve` as its own process.

interface Creds { consumerKey: string; consumerSecret: string; token: string; tokenSecret: string }

function storageEnv(kind: 'embedded' | 'scaled', dataDir: string, dbUrl?: string): NodeJS.ProcessEnv {
  // The default log level (info: one access line per request) unless the caller's environment
  // sets PLUMAGE_LOG_LEVEL: the server measured logs as the one users run.
  const env: NodeJS.ProcessEnv = { PLUMAGE_DATA_DIR: dataDir, PLUMAGE_RATE_LIMITS: 'off' };
  if (kind === 'scaled') Object.assign(env, { PLUMAGE_DATABASE_URL: dbUrl, PLUMAGE_REDIS_URL: REDIS_URL });
  return env;
}

async function seedAccounts(env: NodeJS.ProcessEnv): Promise<Creds> {
  const deps = await createDeps(loadConfig(inputFromEnv(env)));
  try {
    await deps.accounts.addUser({ screenName: 'bench' });
    const app = await deps.accounts.addApp('bench', 'read-write');
    const { token } = await deps.accounts.issueToken(app.consumerKey, 'bench');
    return { consumerKey: app.consumerKey, consumerSecret: app.consumerSecret, token: token.token, tokenSecret: token.secret };
  } finally {
    await deps.close();
  }
}

interface Server { port: number; child: ChildProcess; base: string }

async function startPlumage(env: NodeJS.ProcessEnv, workers = 1): Promise<Server> {
  const port = await freePort();
  // PLUMAGE_BENCH_NODE_ARGS: extra node flags for the measured server (e.g. --cpu-prof while profiling).
  const nodeArgs = (process.env.PLUMAGE_BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const args = [...nodeArgs, BIN, 'serve', ...(workers > 1 ? ['--workers', String(workers)] : [])];
  const child = spawnChild(process.execPath, args, { ...process.env, ...env, PLUMAGE_PORT: String(port), PLUMAGE_HOST: '127.0.0.1' });
  try {
    await waitForPort(port, child);
  } catch (e) {
    throw new Error(`plumage serve did not start: ${(e as Error).message}\n${(child as any).tail()}`);
  }
  return { port, child, base: `http://127.0.0.1:${port}` };
}

// ---------------------------------------------------------------------------------------------
// Signing (oauth-1.0a, a real client library), done before the clock runs.

function signer(c: Creds) {
  const oauth = new OAuth({
    consumer: { key: c.consumerKey, secret: c.consumerSecret },
    signature_method: 'HMAC-SHA1',
    hash_function: (b, k) => crypto.createHmac('sha1', k).update(b).digest('base64'),
  });
  const token = { key: c.token, secret: c.tokenSecret };
  return (method: string, url: string, data: Record<string, string> = {}) =>
    oauth.toHeader(oauth.authorize({ url, method, data }, token)).Authorization;
}

const COLORS_PATH = '/1.1/account/update_profile_colors.json';
const VERIFY_PATH = '/1.1/account/verify_credentials.json';
// 'seed-colors': the same update in the shape the seed file describes (no /1.1 prefix, no
// .json, colours in the query), the only shape Prism's mock of it answers with 200.
type Kind = 'colors' | 'verify' | 'seed-colors';
const SEED_COLORS_PATH = '/account/update_profile_colors';

function randomColour(): string {
  return crypto.randomBytes(3).toString('hex').toUpperCase();
}

/** A file of `n` raw HTTP requests signed for `base`, NUL-separated, for replay.lua. */
function presign(kind: Kind, c: Creds, base: string, n: number): string {
  return writeRequests(signRequests(kind, c, base, n));
}

/** `n` raw HTTP requests of `kind` for `base`, each signed with its own nonce. */
function signRequests(kind: Kind, c: Creds, base: string, n: number): string[] {
  const sign = signer(c);
  const host = new URL(base).host;
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    if (kind === 'colors') {
      const data = { profile_link_color: randomColour(), profile_text_color: randomColour() };
      const body = new URLSearchParams(data).toString();
      out[i] = `POST ${COLORS_PATH} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: ${sign('POST', base + COLORS_PATH, data)}\r\n`
        + `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    } else if (kind === 'seed-colors') {
      const data = { profile_link_color: randomColour(), profile_text_color: randomColour() };
      out[i] = `POST ${SEED_COLORS_PATH}?${new URLSearchParams(data)} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: ${sign('POST', base + SEED_COLORS_PATH, data)}\r\n`
        + `Content-Length: 0\r\n\r\n`;
    } else {
      out[i] = `GET ${VERIFY_PATH} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: ${sign('GET', base + VERIFY_PATH)}\r\n\r\n`;
    }
  }
  return out;
}

/** A file of requests for replay.lua: each followed by a NUL byte. */
function writeRequests(requests: readonly string[]): string {
  const file = path.join(tempDir('req'), 'requests.req');
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < requests.length; i += 2000) fs.writeSync(fd, requests.slice(i, i + 2000).join('\0') + '\0');
  fs.closeSync(fd);
  return file;
}

/**
 * Signed requests that Plumage has not been sent, per kind and server, kept for the next
 * round: a round's file is sized with room to spare, and signing is a good part of a run's
 * time (about 2 s for 70,000 requests). Only requests wrk cannot have sent are kept.
 */
const unsent = new Map<string, string[]>();

/** A file of `n` requests for `base`: the previous round's unsent ones first, then new ones. */
function roundRequests(kind: Kind, c: Creds, base: string, n: number): { file: string; requests: string[] } {
  const kept = unsent.get(`${kind} ${base}`) ?? [];
  const requests = kept.length >= n ? kept.slice(0, n) : [...kept, ...signRequests(kind, c, base, n - kept.length)];
  return { file: writeRequests(requests), requests };
}

/** After Plumage's run: what wrk cannot have sent (every request answered or failed went, and at most one more per connection). */
function keepUnsent(kind: Kind, base: string, requests: string[], answered: number): void {
  unsent.set(`${kind} ${base}`, requests.slice(answered + 2 * CONNECTIONS));
}

// ---------------------------------------------------------------------------------------------
// wrk

interface LoadResult { rps: number; requests: number; non2xx: number; exhausted: boolean; socketErrors: number; p50ms: number; p99ms: number }

function wrkAvailable(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

async function runWrk(base: string, script: string, env: Record<string, string>, seconds: number): Promise<LoadResult> {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${Math.max(1, Math.ceil(seconds))}s`, '--timeout', '10s', '-s', path.join(BENCH, script), base];
  const child = spawnChild('wrk', args, { ...process.env, BENCH_THREADS: '1', ...env });
  let stdout = '';
  child.stdout!.on('data', (b: Buffer) => { stdout += b.toString(); });
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const m = /BENCH_RESULT (\{.*\})/.exec(stdout);
  if (code !== 0 || !m) throw new Error(`wrk failed (${code}): ${stdout.slice(-500)} ${(child as any).tail()}`);
  const r = JSON.parse(m[1]!) as { requests: number; duration_us: number; non2xx: number; exhausted?: number; socket_errors: number; p50_us: number; p99_us: number };
  const res = { rps: r.requests / (r.duration_us / 1e6), requests: r.requests, non2xx: r.non2xx, exhausted: (r.exhausted ?? 0) > 0, socketErrors: r.socket_errors, p50ms: r.p50_us / 1000, p99ms: r.p99_us / 1000 };
  if (res.exhausted) exhaustedRuns++;
  return res;
}
let exhaustedRuns = 0;

/**
 * Requests signed for each round of a kind: enough for Plumage's fastest rate of that kind so
 * far, with room to spare (only Plumage uses each request once; a baseline may start a file
 * over). The first estimate is the warm-up's rate, hence the wider margin: a cold process
 * reaches a third to four fifths of its later rate there (colour updates: under 4,600/s in a
 * quick warm-up, 13,600/s in the round after it, which ran out of requests with a margin of 3);
 * every timed run can raise it. Signing is a good part of a quick run's time (about 2 s per
 * 70,000 requests), so a slow machine signs fewer.
 */
const poolSizes = new Map<Kind, number>();
function poolFor(kind: Kind): number {
  return poolSizes.get(kind) ?? P.minPool;
}
function sizePool(kind: Kind, rps: number, margin: number): void {
  const n = Math.max(P.minPool, Math.ceil(rps * P.seconds * margin));
  poolSizes.set(kind, Math.max(poolSizes.get(kind) ?? 0, n));
}

/** Exactly `n` responses from pre-signed requests (B4), then wrk ends. */
async function replayCount(base: string, file: string, n: number): Promise<{ seen: number; non2xx: number }> {
  const child = spawnChild('wrk', ['-t1', `-c${CONNECTIONS}`, '-d3600s', '--timeout', '10s', '-s', path.join(BENCH, 'replay.lua'), base],
    { ...process.env, BENCH_THREADS: '1', BENCH_REQUESTS: file, BENCH_EXIT_AT: String(n) });
  let stdout = '';
  child.stdout!.on('data', (b: Buffer) => { stdout += b.toString(); });
  await new Promise((r) => child.once('exit', r));
  const m = /BENCH_COUNT (\{.*\})/.exec(stdout);
  if (!m) throw new Error(`wrk did not finish its requests: ${stdout.slice(-300)}`);
  return JSON.parse(m[1]!) as { seen: number; non2xx: number };
}

/**
 * Replays `file` (pre-signed, each request once) against `base` for `seconds`. `cycle`: for a
 * baseline that checks no signature or nonce, the file starts over when it runs out (a request
 * sent twice is as good as a fresh one there), so files are signed for Plumage's rate only.
 */
function replay(base: string, file: string, seconds = P.seconds, cycle = false): Promise<LoadResult> {
  return runWrk(base, 'replay.lua', { BENCH_REQUESTS: file, ...(cycle ? { BENCH_CYCLE: '1' } : {}) }, seconds);
}

/** One fixed unsigned request, built once by wrk: the load generator's own ceiling. */
function plain(base: string, kind: Kind, seconds = P.seconds): Promise<LoadResult> {
  const env: Record<string, string> = kind === 'colors'
    ? { BENCH_METHOD: 'POST', BENCH_PATH: COLORS_PATH, BENCH_BODY: 'profile_link_color=ABC123&profile_text_color=123ABC', BENCH_CONTENT_TYPE: 'application/x-www-form-urlencoded' }
    : { BENCH_METHOD: 'GET', BENCH_PATH: VERIFY_PATH };
  return runWrk(base, 'plain.lua', env, seconds);
}

// ---------------------------------------------------------------------------------------------
// Baselines

async function startFastify(userJson: string): Promise<Server> {
  const port = await freePort();
  const file = path.join(tempDir('user'), 'user.json');
  fs.writeFileSync(file, userJson);
  const child = spawnChild(process.execPath, [path.join(BENCH, 'baseline-fastify.mjs'), String(port), file], process.env);
  await waitForPort(port, child);
  return { port, child, base: `http://127.0.0.1:${port}` };
}

async function startPrism(): Promise<Server | string> {
  if (!fs.existsSync(SEED)) return `seed file not found at ${path.relative(ROOT, SEED)} (expected ../shared/seed/ next to the repository)`;
  const prismBin = path.join(ROOT, 'node_modules/.bin/prism');
  if (!fs.existsSync(prismBin)) return 'Stoplight Prism is not installed (npm install: it is a devDependency)';
  // The seed ends with a YAML document marker and a status block; Prism reads the first
  // document only when the trailing `---` is gone.
  const text = fs.readFileSync(SEED, 'utf8').replace(/^---\s*\n/, '').replace(/\n---\s*$/, '\n');
  const file = path.join(tempDir('prism'), 'seed.yaml');
  fs.writeFileSync(file, text);
  const port = await freePort();
  const child = spawnChild(prismBin, ['mock', '-h', '127.0.0.1', '-p', String(port), '--errors', 'false', file], process.env);
  try {
    await waitForPort(port, child, 90_000);
  } catch (e) {
    await stopChild(child);
    return `Prism did not start: ${(e as Error).message} ${(child as any).tail().slice(-300)}`;
  }
  return { port, child, base: `http://127.0.0.1:${port}` };
}

// ---------------------------------------------------------------------------------------------
// B1 / B2

interface HttpRound { ours: LoadResult; signed: LoadResult; plain: LoadResult }
interface HttpSummary { ran: boolean; ours: number; signed: number; plain: number; p50: number; p99: number; non2xx: number; agree: boolean; ratio: number }

function summarize(rounds: HttpRound[]): HttpSummary {
  const ours = median(rounds.map((r) => r.ours.rps));
  const signed = median(rounds.map((r) => r.signed.rps));
  const plainRps = median(rounds.map((r) => r.plain.rps));
  const non2xx = rounds.reduce((s, r) => s + r.ours.non2xx + r.ours.socketErrors + r.signed.non2xx + r.plain.non2xx + r.signed.socketErrors + r.plain.socketErrors, 0);
  return {
    ran: rounds.length > 0,
    ours,
    signed,
    plain: plainRps,
    p50: median(rounds.map((r) => r.ours.p50ms)),
    p99: median(rounds.map((r) => r.ours.p99ms)),
    non2xx,
    agree: Math.abs(signed - plainRps) / Math.max(signed, plainRps) <= 0.2,
    ratio: ours / signed,
  };
}

/** Requests sent to each server before its timed rounds of a kind, not measured (see warmUp). */
const WARM_UP_REQUESTS = QUICK ? 4_000 : 20_000;

/**
 * A fresh process runs its code unoptimised until V8 has seen it often enough: without this the
 * first round of each kind measures the compiler as much as the server (a first verify round at
 * 14,000 req/s, the third at 20,000). Both sides get the same requests first.
 */
async function warmUp(kind: Kind, server: Server, creds: Creds, baseline: Server | null): Promise<void> {
  const file = presign(kind, creds, server.base, WARM_UP_REQUESTS + 2 * CONNECTIONS);
  for (const s of baseline ? [server, baseline] : [server]) {
    const t0 = performance.now();
    const r = await replayCount(s.base, file, WARM_UP_REQUESTS);
    if (r.non2xx) throw new Error(`${kind} warm-up: ${r.non2xx} non-2xx answers from ${s === server ? 'plumage' : 'the baseline'}`);
    if (s === server) sizePool(kind, WARM_UP_REQUESTS / ((performance.now() - t0) / 1000), 5);
  }
  fs.rmSync(file);
}

/** `ready`: what must have finished before the first timed run (work started alongside the warm-up). */
async function httpRounds(kind: Kind, server: Server, creds: Creds, baseline: Server, rounds: number, ready?: Promise<unknown>): Promise<HttpRound[]> {
  const res: HttpRound[] = [];
  if (rounds > 0) await warmUp(kind, server, creds, baseline);
  await ready;
  for (let i = 0; i < rounds; i++) {
    // Signed for Plumage's address, replayed to Plumage, then the same file to the baseline,
    // which does not check signatures (so the second use there changes nothing).
    const { file, requests } = roundRequests(kind, creds, server.base, poolFor(kind));
    const o = await replay(server.base, file);
    sizePool(kind, o.rps, 1.5);
    keepUnsent(kind, server.base, requests, o.requests + o.socketErrors);
    const s = await replay(baseline.base, file, P.seconds, true);
    fs.rmSync(file);
    const p = await plain(baseline.base, kind);
    res.push({ ours: o, signed: s, plain: p });
    note(`  ${kind} round ${i + 1}: plumage ${fmt(o.rps)} req/s (non-2xx ${o.non2xx}), fastify signed ${fmt(s.rps)}, plain ${fmt(p.rps)}`);
  }
  return res;
}

async function oursOnly(kind: Kind, server: Server, creds: Creds, rounds: number): Promise<LoadResult[]> {
  const res: LoadResult[] = [];
  if (rounds > 0) await warmUp(kind, server, creds, null);
  for (let i = 0; i < rounds; i++) {
    const { file, requests } = roundRequests(kind, creds, server.base, poolFor(kind));
    const r = await replay(server.base, file);
    sizePool(kind, r.rps, 1.5);
    keepUnsent(kind, server.base, requests, r.requests + r.socketErrors);
    res.push(r);
    fs.rmSync(file);
  }
  return res;
}

async function fetchUserJson(server: Server, creds: Creds): Promise<string> {
  const url = server.base + VERIFY_PATH;
  const r = await fetch(url, { headers: { authorization: signer(creds)('GET', url) } });
  if (r.status !== 200) throw new Error(`verify_credentials answered ${r.status}: ${await r.text()}`);
  return r.text();
}

// ---------------------------------------------------------------------------------------------
// B3 images

async function makeUploadJpeg(): Promise<Buffer> {
  // A photograph-like 1600×1600 JPEG: smooth gradients with fine noise, tuned to ~650 KB.
  const size = 1600;
  const raw = Buffer.alloc(size * size * 3);
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      const n = rnd() * 40;
      raw[i] = (x / size) * 200 + n;
      raw[i + 1] = (y / size) * 200 + n;
      raw[i + 2] = 128 + 60 * Math.sin((x + y) / 90) + n;
    }
  }
  let lo = 40, hi = 95, best: Buffer | null = null;
  while (lo <= hi) {
    const q = Math.floor((lo + hi) / 2);
    const b = await sharp(raw, { raw: { width: size, height: size, channels: 3 } }).jpeg({ quality: q }).toBuffer();
    if (b.length <= 680 * 1024) { best = b; lo = q + 1; } else hi = q - 1;
  }
  return best!;
}

/**
 * Uploads of `jpeg` to `server`, each resolving to its end-to-end time. The load generator
 * shares the two cores with the server, so the work it can do ahead is done ahead (as for
 * B1's pre-signed requests): one multipart body for every upload (each request is parsed on
 * its own, so the boundary may repeat) and `presigned` signatures, each with its own nonce,
 * made before the clock runs. Beyond those, a request is signed when sent.
 */
function uploader(server: Server, creds: Creds, jpeg: Buffer, presigned: number): () => Promise<number> {
  const url = server.base + '/1.1/account/update_profile_image.json';
  const boundary = `----bench${crypto.randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const body = Buffer.concat([head, jpeg, tail]);
  const sign = signer(creds);
  const auths = Array.from({ length: presigned }, () => sign('POST', url));
  let next = 0;
  return () => sendUpload(url, auths[next++] ?? sign('POST', url), boundary, body);
}

function sendUpload(url: string, auth: string, boundary: string, body: Buffer): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      agent: uploadAgent,
      headers: { authorization: auth, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length },
    }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`upload answered ${res.statusCode}`));
        else resolve(performance.now() - t0);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
const uploadAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/**
 * libvips threads per pipeline. sharp's default on glibc is one; the server gives an image
 * processed alone two (src/images/transform.ts), so the concurrency-1 baseline is measured
 * with both and the faster counts. At concurrency 4 the baseline keeps sharp's default of one:
 * measured side by side on this machine, two threads each made four concurrent pipelines
 * about 2% slower (docs/benchmarks.md).
 */
const LONE_THREADS = Math.min(2, Math.max(1, os.availableParallelism()));
const THREAD_COUNTS = [...new Set([1, LONE_THREADS])];

/**
 * The baselines' first step: one decode with shrink-on-load to the 400 px the largest variant
 * needs, oriented, in sRGB. `same` is true when that is exactly 400×400 (a square photo of
 * 400 px or more, like the bench's): the original (≤ 400 wide) and the 400×400 square are
 * then the same pixels, encoded once, as the server does.
 */
async function decodeForAvatar(jpeg: Buffer) {
  const { data, info } = await sharp(jpeg, { autoOrient: true })
    .resize({ width: 400, height: 400, fit: 'outside', withoutEnlargement: true })
    .toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data, info, same: info.width === 400 && info.height === 400 };
}
const encodeJpeg = (img: Sharp) => img.jpeg({ quality: 85, progressive: true }).toBuffer();

/** The fastest plain sharp pipeline making the same five variants: one decode, shrink-on-load,
 *  each smaller square from the next larger one, identical variants encoded once. */
async function sharpBaseline(jpeg: Buffer): Promise<number> {
  const { data, info, same } = await decodeForAvatar(jpeg);
  const rawOf = (d: Buffer, w: number, h: number) => sharp(d, { raw: { width: w, height: h, channels: info.channels } });
  const original = encodeJpeg(rawOf(data, info.width, info.height).resize({ width: 400, withoutEnlargement: true }));
  const s400 = same ? data : await rawOf(data, info.width, info.height).resize(400, 400, { fit: 'cover' }).raw().toBuffer();
  const s73 = await rawOf(s400, 400, 400).resize(73, 73).raw().toBuffer();
  const s48 = await rawOf(s73, 73, 73).resize(48, 48).raw().toBuffer();
  const outs = await Promise.all([
    original,
    same ? original : encodeJpeg(rawOf(s400, 400, 400)),
    encodeJpeg(rawOf(s73, 73, 73)),
    encodeJpeg(rawOf(s48, 48, 48)),
    encodeJpeg(rawOf(s48, 48, 48).resize(24, 24)),
  ]);
  return outs.length;
}

/** The same five variants with every one resized straight from the decoded 400 px image and
 *  all encodes started at once (what the server does): less waiting at concurrency 1, more
 *  resize work than the chain. The bench takes whichever of the two is faster. */
async function sharpBaselineDirect(jpeg: Buffer): Promise<number> {
  const { data, info, same } = await decodeForAvatar(jpeg);
  const base = () => sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  const original = encodeJpeg(base().resize({ width: 400, withoutEnlargement: true }));
  const outs = await Promise.all([
    original,
    same ? original : encodeJpeg(base().resize(400, 400, { fit: 'cover' })),
    ...[73, 48, 24].map((size) => encodeJpeg(base().resize(size, size, { fit: 'cover' }))),
  ]);
  return outs.length;
}

/** The in-process pipelines compared at concurrency 1: each shape with each thread count. */
const P50_BASELINES = [
  ...THREAD_COUNTS.map((threads) => ({ label: `chained, ${threads} thread${threads > 1 ? 's' : ''}`, threads, run: sharpBaseline })),
  ...THREAD_COUNTS.map((threads) => ({ label: `direct, ${threads} thread${threads > 1 ? 's' : ''}`, threads, run: sharpBaselineDirect })),
];

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function throughput(fn: () => Promise<unknown>, concurrency: number, seconds: number): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await fn();
      done++;
    }
  }));
  return done / ((performance.now() - t0) / 1000);
}

// ---------------------------------------------------------------------------------------------
// B4 memory

function rssMb(pid: number): number {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(s);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0, den = 0;
  for (const [x, y] of points) { num += (x - mx) * (y - my); den += (x - mx) ** 2; }
  return den === 0 ? 0 : num / den;
}

// ---------------------------------------------------------------------------------------------
// B5 start-up

async function startupOnce(env: NodeJS.ProcessEnv, creds: Creds): Promise<number> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const sign = signer(creds);
  const headers = Array.from({ length: 3000 }, () => sign('GET', base + VERIFY_PATH));
  let i = 0;
  const t0 = performance.now();
  const child = spawnChild(process.execPath, [BIN, 'serve'], { ...process.env, ...env, PLUMAGE_PORT: String(port), PLUMAGE_HOST: '127.0.0.1' });
  try {
    while (performance.now() - t0 < 30_000) {
      if (child.exitCode !== null) throw new Error(`serve exited: ${(child as any).tail()}`);
      const status = await new Promise<number>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: VERIFY_PATH, headers: { authorization: headers[i++ % headers.length]! }, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', () => resolve(0));
      });
      if (status === 200) return performance.now() - t0;
      if (status !== 0) throw new Error(`first answer was ${status}, not 200`);
      await sleep(5);
    }
    throw new Error('no 200 within 30 s');
  } finally {
    await stopChild(child);
  }
}

// ---------------------------------------------------------------------------------------------

async function pgDatabase(): Promise<{ url: string; drop(): Promise<void> } | string> {
  const name = `plumage_bench_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query(`create database ${name}`);
  } catch (e) {
    return `PostgreSQL not reachable (${(e as Error).message})`;
  } finally {
    await c.end().catch(() => undefined);
  }
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const d = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
      await d.connect();
      await d.query(`drop database if exists ${name} with (force)`);
      await d.end();
    },
  };
}

async function redisReachable(): Promise<boolean> {
  const u = new URL(REDIS_URL);
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port || 6379), u.hostname);
    s.setTimeout(2000, () => { s.destroy(); resolve(false); });
    s.once('connect', () => { s.write('PING\r\n'); });
    s.once('data', (b) => { s.destroy(); resolve(b.toString().startsWith('+PONG')); });
    s.once('error', () => resolve(false));
  });
}

function versions(): string {
  const v = (p: string) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', p, 'package.json'), 'utf8')).version as string;
    } catch {
      return '?';
    }
  };
  const wrkV = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  const wrkVersion = /wrk (\S+)/.exec(`${wrkV.stdout}${wrkV.stderr}`)?.[1] ?? '?';
  return `node ${process.version}, fastify ${v('fastify')}, better-sqlite3 ${v('better-sqlite3')}, sharp ${v('sharp')} (libvips ${sharp.versions.vips}), `
    + `prism ${v('@stoplight/prism-cli')}, oauth-1.0a ${v('oauth-1.0a')}, wrk ${wrkVersion}; ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${os.platform()} ${os.release()}`;
}

async function main(): Promise<number> {
  const started = Date.now();
  if (!wrkAvailable()) {
    note('wrk is not installed. It drives the HTTP benchmarks: `apt-get install wrk` (Debian/Ubuntu), `brew install wrk` (macOS).');
    return 2;
  }
  // The server measured is the one `npm start` runs: compiled to dist/ when the sources changed.
  const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), '--if-stale'], { stdio: 'inherit' });
  if (build.status !== 0) {
    note('the build (scripts/build.mjs) failed');
    return 2;
  }
  sharp.cache(false);
  let invalid: string[] = [];
  const result: Record<string, number | null> = {
    colors_vs_fastify: null, colors_vs_prism: null, verify_vs_fastify: null,
    image_p50_vs_sharp: null, image_throughput_vs_sharp: null, rss_mb_max: null, startup_ms: null,
  };
  say(`Plumage benchmarks, ${new Date().toISOString()}${QUICK ? ' (--quick)' : ''}`);
  say(versions());
  say(`Load average at start: ${os.loadavg().map((x) => x.toFixed(1)).join(', ')} (on ${os.cpus().length} cores; figures from a busy machine are low and noisy, ratios less so).`);
  say('Rate limits are off while measuring (PLUMAGE_RATE_LIMITS=off); storage is embedded SQLite (WAL) unless said otherwise.');
  say(`HTTP: wrk, 1 thread, ${CONNECTIONS} connections, ${P.seconds} s per run, ${P.rounds} rounds, medians.`);
  say('');

  // ---- embedded server, accounts, baselines. Prism and B3's photograph are made meanwhile
  // (Prism takes seconds to start); both are ready before the first timed run.
  const prismStarting = want('prism') ? startPrism() : Promise.resolve('not run (--only)' as const);
  const jpegMaking = makeUploadJpeg();
  const dataDir = tempDir('data');
  const env = storageEnv('embedded', dataDir);
  const creds = await seedAccounts(env);
  const ours = await startPlumage(env);
  const userJson = await fetchUserJson(ours, creds);
  const fastify = await startFastify(userJson);

  // ---- B1
  note('B1 update_profile_colors …');
  const ready = Promise.all([prismStarting, jpegMaking]);
  const b1 = summarize(want('b1') ? await httpRounds('colors', ours, creds, fastify, P.rounds, ready) : []);
  const prism = await prismStarting;
  let prismRps: number | null = null;
  let prismNon2xx = 0;
  if (typeof prism === 'string') {
    say(`Prism baseline skipped: ${prism}; colors_vs_prism is null.`);
  } else {
    const runs: LoadResult[] = [];
    // Warmed up too, like the other servers (warmUp), with fewer requests: it is ten times slower.
    const warm = presign('seed-colors', creds, ours.base, 2_000 + 2 * CONNECTIONS);
    const w = await replayCount(prism.base, warm, 2_000);
    fs.rmSync(warm);
    prismNon2xx += w.non2xx;
    for (let i = 0; i < P.prismRounds; i++) {
      const file = presign('seed-colors', creds, ours.base, QUICK ? 8_000 : 20_000);
      runs.push(await replay(prism.base, file));
      fs.rmSync(file);
    }
    prismRps = median(runs.map((r) => r.rps));
    prismNon2xx += runs.reduce((s, r) => s + r.non2xx + r.socketErrors, 0);
    await stopChild(prism.child);
  }

  // ---- B2
  note('B2 verify_credentials …');
  const b2 = summarize(want('b2') ? await httpRounds('verify', ours, creds, fastify, P.rounds) : []);

  // ---- B3 (same server and data folder)
  note('B3 update_profile_image …');
  const jpeg = await jpegMaking;
  // Warmed up like B1 and B2: the first uploads measure V8 compiling the upload path (and the
  // first in-process runs libvips' start-up), not the steady state.
  const B3_WARM_UP = 20;
  // Then a few seconds at concurrency 4, unmeasured: 20 uploads leave much of the upload path
  // to V8's compiler (traced with --trace-opt, a server that had taken 40 uploads still
  // finished about 90 optimisations in its next 5 s of uploads, and 50–65 in each 5 s after),
  // which would compete with the measured uploads for the cores. The in-process pipelines,
  // little JavaScript and already run in the warm-up above, get a quarter as long each.
  const B3_WARM_UP_SECONDS = QUICK ? 1.5 : 5;
  // Enough signatures for every upload at well over the rate this machine reaches (~50/s).
  const uploadOnce = uploader(ours, creds, jpeg, want('b3') ? B3_WARM_UP + P.imageRuns + Math.ceil((P.imageSeconds + B3_WARM_UP_SECONDS) * 150) : 0);
  for (let i = 0; i < (want('b3') ? B3_WARM_UP : 0); i++) {
    await uploadOnce();
    if (i < 5) for (const b of P50_BASELINES) { sharp.concurrency(b.threads); await b.run(jpeg); }
  }
  if (want('b3')) {
    sharp.concurrency(1);
    await throughput(uploadOnce, 4, B3_WARM_UP_SECONDS);
    await throughput(() => sharpBaseline(jpeg), 4, B3_WARM_UP_SECONDS / 4);
    await throughput(() => sharpBaselineDirect(jpeg), 4, B3_WARM_UP_SECONDS / 4);
  }
  // Several in-process pipelines make the same variants; each figure is compared with the fastest.
  const upP50: number[] = [];
  const p50s = P50_BASELINES.map(() => [] as number[]);
  for (let i = 0; i < (want('b3') ? P.imageRuns : 0); i++) {
    upP50.push(await uploadOnce());
    for (const [k, b] of P50_BASELINES.entries()) {
      sharp.concurrency(b.threads);
      p50s[k]!.push(await timeIt(() => b.run(jpeg)));
    }
  }
  const basP50 = p50s.reduce((best, xs) => (median(xs) < median(best) ? xs : best));
  sharp.concurrency(1);
  const upTput: number[] = [];
  const chainTput: number[] = [];
  const directTput: number[] = [];
  // Three alternating rounds of each (--quick too, with shorter rounds): on this shared machine
  // a side measured in one block alone reads whatever the neighbours did then.
  const B3_ROUNDS = 3;
  for (let i = 0; i < (want('b3') ? B3_ROUNDS : 0); i++) {
    chainTput.push(await throughput(() => sharpBaseline(jpeg), 4, P.imageSeconds / B3_ROUNDS));
    directTput.push(await throughput(() => sharpBaselineDirect(jpeg), 4, P.imageSeconds / B3_ROUNDS));
    upTput.push(await throughput(uploadOnce, 4, P.imageSeconds / B3_ROUNDS));
  }
  const basTput = median(directTput) > median(chainTput) ? directTput : chainTput;
  await stopChild(ours.child);
  await stopChild(fastify.child);

  // ---- B4 memory: a fresh server; blocks of uploads (concurrency 4) and colour updates (wrk)
  note('B4 memory …');
  const memDir = tempDir('mem');
  const memEnv = storageEnv('embedded', memDir);
  const memCreds = await seedAccounts(memEnv);
  const mem = await startPlumage(memEnv);
  const samples: Array<[number, number]> = [];
  const t0 = performance.now();
  const sampler = setInterval(() => samples.push([(performance.now() - t0) / 1000, rssMb(mem.child.pid!)]), 200);
  let memNon2xx = 0;
  let uploads = 0;
  let updates = 0;
  for (let b = 0; b < (want('b4') ? P.memBlocks : 0); b++) {
    const perWorker = Math.ceil(P.memUploads / 4);
    const memUpload = uploader(mem, memCreds, jpeg, 4 * perWorker);
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let i = 0; i < perWorker; i++) { await memUpload(); uploads++; }
    }));
    const file = presign('colors', memCreds, mem.base, P.memUpdates + 2 * CONNECTIONS);
    const r = await replayCount(mem.base, file, P.memUpdates);
    fs.rmSync(file);
    updates += r.seen;
    memNon2xx += r.non2xx;
    note(`  block ${b + 1}/${P.memBlocks}: ${uploads} uploads, ${updates} updates, RSS ${fmt(rssMb(mem.child.pid!), 1)} MB`);
  }
  clearInterval(sampler);
  const memSamples = samples.filter(([, y]) => Number.isFinite(y));
  const rssMax = Math.max(...memSamples.map(([, y]) => y));
  const half = memSamples.filter(([x]) => x >= memSamples[memSamples.length - 1]![0] / 2);
  const slopePerMin = slope(half) * 60;
  const halfSpan = half.length ? half[half.length - 1]![0] - half[0]![0] : 0;
  const halfMean = half.reduce((s, p) => s + p[1], 0) / Math.max(1, half.length);
  const growth = slope(half) * halfSpan;
  const upward = growth > Math.max(8, 0.05 * halfMean);
  // The quick run's second half lasts a few seconds, one or two blocks of uploads, each of
  // which moves RSS by 10–20 MB (the allocator, not a leak): too short to tell a trend from a
  // step. It reports the slope; the full run (minutes of second half) judges it.
  const trendJudged = !QUICK;
  await stopChild(mem.child);

  // ---- B5 start-up (the embedded data folder of B1: migrations already applied, as on a restart)
  note('B5 start-up …');
  const startups: number[] = [];
  for (let i = 0; i < (want('b5') ? P.startups : 0); i++) startups.push(await startupOnce(env, creds));
  // For scale: how long this machine takes to start Node itself and do nothing.
  const bareNode: number[] = [];
  for (let i = 0; i < (want('b5') ? 3 : 0); i++) {
    const t = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    bareNode.push(performance.now() - t);
  }

  // ---- Workers: B1 with 1 and 2 workers. Several workers need Redis for nonces and rate
  // counters (in-process memory would let a replay through on another worker).
  note('B1 with workers …');
  const haveRedis = (want('workers') || want('scaled')) && (await redisReachable());
  const workerRows: string[] = [];
  if (!want('workers')) {
    workerRows.push(`  ${notRun}`);
  } else if (!haveRedis) {
    workerRows.push(`  workers: skipped, Redis not reachable at ${REDIS_URL} (--workers > 1 requires PLUMAGE_REDIS_URL)`);
  } else {
    const wDir = tempDir('workers');
    const wEnv = { ...storageEnv('embedded', wDir), PLUMAGE_REDIS_URL: REDIS_URL };
    const wCreds = await seedAccounts(wEnv);
    for (const n of [1, 2]) {
      let s: Server;
      try {
        s = await startPlumage(wEnv, n);
      } catch (e) {
        invalid.push(`B1 with ${n} workers: ${(e as Error).message.split('\n')[0]}`);
        continue;
      }
      const runs = await oursOnly('colors', s, wCreds, P.extraRounds);
      await stopChild(s.child);
      const bad = runs.reduce((a, r) => a + r.non2xx + r.socketErrors, 0);
      if (bad) invalid.push(`B1 with ${n} workers: ${bad} non-2xx answers`);
      workerRows.push(`  SQLite + Redis nonces, --workers ${n}`.padEnd(46) + `${fmt(median(runs.map((r) => r.rps))).padStart(8)} req/s   p99 ${fmt(median(runs.map((r) => r.p99ms)), 1)} ms   non-2xx ${bad}`);
    }
  }

  // ---- B1/B2 on PostgreSQL + Redis
  note('B1/B2 on PostgreSQL + Redis …');
  const scaledRows: string[] = [];
  const db = !want('scaled') ? notRun : haveRedis ? await pgDatabase() : 'Redis not reachable';
  if (typeof db === 'string') {
    scaledRows.push(`  PostgreSQL + Redis: skipped, ${db}`);
  } else {
    cleanups.push(db.drop);
    try {
      const sEnv = storageEnv('scaled', tempDir('scaled'), db.url);
      const sCreds = await seedAccounts(sEnv);
      const s = await startPlumage(sEnv);
      for (const kind of ['colors', 'verify'] as const) {
        const runs = await oursOnly(kind, s, sCreds, P.extraRounds);
        const bad = runs.reduce((a, r) => a + r.non2xx + r.socketErrors, 0);
        if (bad) invalid.push(`${kind} on PostgreSQL + Redis: ${bad} non-2xx answers`);
        scaledRows.push(`  ${kind === 'colors' ? 'B1 update_profile_colors' : 'B2 verify_credentials'}, PostgreSQL + Redis`.padEnd(46) + `${fmt(median(runs.map((r) => r.rps))).padStart(8)} req/s   p99 ${fmt(median(runs.map((r) => r.p99ms)), 1)} ms   non-2xx ${bad}`);
      }
      await stopChild(s.child);
    } finally {
      await db.drop().catch(() => undefined);
      cleanups.splice(cleanups.indexOf(db.drop), 1);
    }
  }

  // ---- validity and results
  for (const [name, s] of [['B1', b1], ['B2', b2]] as const) {
    if (!s.ran) continue;
    if (s.non2xx) invalid.push(`${name}: ${s.non2xx} non-2xx answers or socket errors`);
    if (!s.agree) invalid.push(`${name}: baseline with signed requests (${fmt(s.signed)}/s) and unsigned (${fmt(s.plain)}/s) differ by more than 20%: the load generator is the bottleneck`);
  }
  if (memNon2xx) invalid.push(`B4: ${memNon2xx} non-2xx answers`);
  if (exhaustedRuns) invalid.push(`${exhaustedRuns} runs ran out of pre-signed requests before their time was up (rates too low); run again`);
  const b1ok = b1.ran && b1.non2xx === 0 && b1.agree;
  const b2ok = b2.ran && b2.non2xx === 0 && b2.agree;
  result.colors_vs_fastify = b1ok ? round(b1.ratio, 3) : null;
  result.colors_vs_prism = b1ok && prismRps !== null && prismNon2xx === 0 ? round(b1.ours / prismRps, 2) : null;
  if (prismRps !== null && prismNon2xx) invalid.push(`Prism answered ${prismNon2xx} non-2xx`);
  result.verify_vs_fastify = b2ok ? round(b2.ratio, 3) : null;
  const upMed = median(upP50), basMed = median(basP50);
  result.image_p50_vs_sharp = round(upMed / basMed, 3);
  result.image_throughput_vs_sharp = round(median(upTput) / median(basTput), 3);
  result.rss_mb_max = round(rssMax, 1);
  result.startup_ms = round(median(startups), 0);

  const row = (label: string, value: string, extra = '') => say(`  ${label.padEnd(44)}${value.padStart(8)} ${extra}`);
  say('B1 POST account/update_profile_colors (SQLite WAL, committed per request)');
  row('bare Fastify, unsigned request (wrk ceiling)', fmt(b1.plain), 'req/s');
  row('bare Fastify, pre-signed requests', fmt(b1.signed), `req/s   signed/unsigned ${fmt(b1.signed / b1.plain, 2)} ${b1.agree ? '(agree within 20%)' : 'INVALID: differ by more than 20%'}`);
  row('Stoplight Prism mocking the seed (its shape)', prismRps === null ? 'n/a' : fmt(prismRps), `req/s   non-2xx ${prismNon2xx}`);
  row('plumage serve', fmt(b1.ours), `req/s   p50 ${fmt(b1.p50, 1)} ms, p99 ${fmt(b1.p99, 1)} ms, non-2xx ${b1.non2xx}`);
  const b1mark = b1ok ? '' : '(invalid run: null in the JSON)';
  row('colors_vs_fastify (target ≥ 0.5)', fmt(b1.ratio, 3), b1mark);
  row('colors_vs_prism (target ≥ 10)', prismRps === null ? 'null' : fmt(b1.ours / prismRps, 2), prismRps === null ? '' : b1mark);
  say('B2 GET account/verify_credentials');
  row('bare Fastify, unsigned request (wrk ceiling)', fmt(b2.plain), 'req/s');
  row('bare Fastify, pre-signed requests', fmt(b2.signed), `req/s   signed/unsigned ${fmt(b2.signed / b2.plain, 2)} ${b2.agree ? '(agree within 20%)' : 'INVALID: differ by more than 20%'}`);
  row('plumage serve', fmt(b2.ours), `req/s   p50 ${fmt(b2.p50, 1)} ms, p99 ${fmt(b2.p99, 1)} ms, non-2xx ${b2.non2xx}`);
  row('verify_vs_fastify (target ≥ 0.6)', fmt(b2.ratio, 3), b2ok ? '' : '(invalid run: null in the JSON)');
  say(`B1 with workers (rate limits off)`);
  for (const r of workerRows) say(r);
  say('B1/B2 on the scaled configuration');
  for (const r of scaledRows) say(r);
  say(`B3 POST account/update_profile_image, ${jpeg.length} byte 1600×1600 JPEG → original + 4 squares`);
  row('in-process sharp, c=1, p50', fmt(basMed, 1), `ms (${basP50.length} runs; the fastest of ${P50_BASELINES.map((b, k) => `${b.label} ${fmt(median(p50s[k]!), 1)}`).join('; ')})`);
  row('plumage serve end to end, c=1, p50', fmt(upMed, 1), `ms (${upP50.length} runs)`);
  row('image_p50_vs_sharp (target ≤ 1.25)', fmt(upMed / basMed, 3));
  row('in-process sharp, c=4', fmt(median(basTput), 2), `images/s (1 thread each; the faster of chained ${fmt(median(chainTput), 2)}, direct ${fmt(median(directTput), 2)})`);
  row('plumage serve, c=4', fmt(median(upTput), 2), 'images/s');
  row('image_throughput_vs_sharp (target ≥ 0.85)', fmt(median(upTput) / median(basTput), 3));
  say(`B4 memory: ${uploads} uploads and ${updates} colour updates in ${P.memBlocks} alternating blocks${QUICK ? ' (--quick: fewer than the full 2,000 and 200,000)' : ''}`);
  row('peak RSS (target ≤ 250)', fmt(rssMax, 1), 'MB');
  row('RSS slope over the second half', fmt(slopePerMin, 2), `MB/min (${fmt(growth, 1)} MB over ${fmt(halfSpan, 0)} s: ${!trendJudged ? 'not judged, --quick is too short; the full run judges it' : upward ? 'UPWARD TREND' : 'no upward trend'})`);
  say('B5 start-up: plumage serve → first 200 (signed verify_credentials)');
  row(`median of ${startups.length} (target ≤ 500)`, fmt(median(startups), 0), `ms   [${startups.map((x) => fmt(x, 0)).join(', ')}]`);
  row('for scale: `node -e 0` on this machine', fmt(median(bareNode), 0), 'ms');
  if (upward && trendJudged) invalid.push('B4: RSS trends upward over the second half');
  // [target, met, whether its stages ran]: a target whose stage --only left out is "not run", not missed.
  const targets: Array<[string, boolean, boolean]> = [
    ['colors_vs_fastify ≥ 0.5', (result.colors_vs_fastify ?? 0) >= 0.5, want('b1')],
    ['colors_vs_prism ≥ 10', (result.colors_vs_prism ?? 0) >= 10, want('b1') && want('prism')],
    ['verify_vs_fastify ≥ 0.6', (result.verify_vs_fastify ?? 0) >= 0.6, want('b2')],
    ['image_p50_vs_sharp ≤ 1.25', (result.image_p50_vs_sharp ?? Infinity) <= 1.25, want('b3')],
    ['image_throughput_vs_sharp ≥ 0.85', (result.image_throughput_vs_sharp ?? 0) >= 0.85, want('b3')],
    ['rss_mb_max ≤ 250', (result.rss_mb_max ?? Infinity) <= 250, want('b4')],
    ['startup_ms ≤ 500', (result.startup_ms ?? Infinity) <= 500, want('b5')],
  ];
  say('');
  say(`Targets: ${targets.map(([n, ok, ran]) => `${n} ${ran ? (ok ? 'met' : 'MISSED') : 'not run'}`).join('; ')}`);
  if (invalid.length) say(`INVALID RUN: ${invalid.join('; ')}`);
  say(`Took ${fmt((Date.now() - started) / 1000, 0)} s.`);
  if (JSON_OUT) process.stdout.write(`${JSON.stringify(result)}\n`);
  return invalid.length ? 1 : 0;
}

function round(x: number, d: number): number | null {
  return Number.isFinite(x) ? Number(x.toFixed(d)) : null;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  note(`bench failed: ${(e as Error).stack ?? e}`);
} finally {
  for (const c of [...children]) await stopChild(c).catch(() => undefined);
  for (const f of cleanups) await f().catch(() => undefined);
  uploadAgent.destroy();
  killAll();
}
process.exit(code);
