// `npm run bench`: Plumage's speed as ratios against baselines run in the same invocation, so
// the figures survive a noisy, shared machine. Each measurement is repeated and the median
// is quoted.
//
//  1. HTTP: GET verify_credentials through `plumage serve` (OAuth 1.0a verification, nonce,
//     rate limit, SQLite read, user JSON), each request signed afresh by the oauth-1.0a
//     package, against a bare node:http server answering the same user JSON with no work at
//     all (the ceiling, as in reference/peers.md).
//  2. Images: the avatar pipeline (decode once, five variants from one oriented raster)
//     against the straightforward sharp pipeline (decode the upload again for every variant).
//
// Usage: npm run bench [-- --seconds 5 --rounds 3]
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import OAuth from 'oauth-1.0a';
import sharp from 'sharp';
import { createImageProcessor } from '../src/images/index.ts';
import { loadConfig } from '../src/config.ts';
import { createDeps } from '../src/deps.ts';
import { fixture } from '../test/fixtures/images.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/plumage.js');
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const SECONDS = arg('seconds', 5);
const ROUNDS = arg('rounds', 3);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${url} did not answer`);
}

async function load(url: string, setupRequest?: (req: any) => any): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const r = await autocannon({ url, connections: 10, duration: SECONDS, requests: [setupRequest ? { method: 'GET', setupRequest } : { method: 'GET' }] });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

async function httpBench(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumage-bench-'));
  const port = await freePort();
  const env = { ...process.env, PLUMAGE_DATA_DIR: dataDir, PLUMAGE_LOG_LEVEL: 'warn', PLUMAGE_PORT: String(port) };
  // Accounts and tokens straight through the services (the CLI would spawn a process each).
  const deps = await createDeps(loadConfig({ dataDir }));
  await deps.accounts.addUser({ screenName: 'alice' });
  const created = await deps.accounts.addApp('bench', 'read-write');
  const app = { consumer_key: created.consumerKey, consumer_secret: created.consumerSecret };
  // Rate limits are per token (users/show: 900 per 15 minutes), so the load is spread over
  // enough tokens that every request is a real 200; non-2xx answers are counted and shown.
  const tokens: Array<{ oauth_token: string; oauth_token_secret: string }> = [];
  for (let i = 0; i < 200; i++) {
    const { token } = await deps.accounts.issueToken(app.consumer_key, 'alice');
    tokens.push({ oauth_token: token.token, oauth_token_secret: token.secret });
  }
  await deps.close();
  const server: ChildProcess = spawn(process.execPath, [BIN, 'serve'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(base);
  const userJson = await (await fetch(`${base}/1.1/users/show.json?screen_name=alice`, { headers: signed(app, tokens[0], `${base}/1.1/users/show.json`, { screen_name: 'alice' }) })).text();

  // The baseline runs in a child process too, so both sides pay the same process boundary.
  const rawPort = await freePort();
  const rawChild = spawn(process.execPath, ['-e', `require('http').createServer((q,s)=>{s.writeHead(200,{'content-type':'application/json; charset=utf-8'});s.end(${JSON.stringify(userJson)})}).listen(${rawPort},'127.0.0.1')`], { stdio: 'ignore' });
  await waitFor(`http://127.0.0.1:${rawPort}`);

  let n = 0;
  const setup = (req: any) => {
    const t = tokens[n++ % tokens.length];
    const url = `${base}/1.1/users/show.json`;
    req.path = '/1.1/users/show.json?screen_name=alice';
    req.headers = { ...req.headers, ...signed(app, t, url, { screen_name: 'alice' }) };
    return req;
  };

  const ours: number[] = [];
  const base_: number[] = [];
  const p99s: number[] = [];
  let errors = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const b = await load(`http://127.0.0.1:${rawPort}/1.1/users/show.json`);
    const o = await load(`${base}/1.1/users/show.json`, setup);
    base_.push(b.rps);
    ours.push(o.rps);
    p99s.push(o.p99);
    errors += o.errors;
  }
  server.kill('SIGTERM');
  rawChild.kill('SIGTERM');
  fs.rmSync(dataDir, { recursive: true, force: true });
  console.log('\nHTTP: GET users/show, OAuth-signed per request, 10 connections, %d s × %d rounds', SECONDS, ROUNDS);
  console.log('  bare node:http, same JSON, no work   median %s req/s', Math.round(median(base_)));
  console.log('  plumage serve (SQLite, memory)       median %s req/s, p99 %s ms, non-2xx+errors %d', Math.round(median(ours)), median(p99s), errors);
  console.log('  ratio plumage / bare ceiling          %s', (median(ours) / median(base_)).toFixed(3));
}

function signed(app: any, tok: any, url: string, data: Record<string, string>): Record<string, string> {
  const oauth = new OAuth({
    consumer: { key: app.consumer_key, secret: app.consumer_secret },
    signature_method: 'HMAC-SHA1',
    hash_function: (b, k) => crypto.createHmac('sha1', k).update(b).digest('base64'),
  });
  return { authorization: oauth.toHeader(oauth.authorize({ url, method: 'GET', data }, { key: tok.oauth_token, secret: tok.oauth_token_secret })).Authorization };
}

async function imageBench(): Promise<void> {
  sharp.cache(false);
  const input = fixture('photo-700k.jpg');
  const processor = createImageProcessor({
    avatar: { maxBytes: 800 * 1024, maxPixels: 50_000_000 },
    background: { maxBytes: 800 * 1024, maxPixels: 50_000_000 },
    banner: { maxBytes: 5 * 1024 * 1024, maxPixels: 50_000_000 },
  });
  // The straightforward way: one sharp pipeline from the upload per output.
  const naive = async () => {
    const outs = [sharp(input).rotate().resize({ width: 400, withoutEnlargement: true }).jpeg().toBuffer()];
    for (const s of [24, 48, 73, 400]) outs.push(sharp(input).rotate().resize(s, s, { fit: 'cover' }).jpeg().toBuffer());
    return Promise.all(outs);
  };
  const time = async (fn: () => Promise<unknown>) => {
    const t = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const ours: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < 3; i++) {
    await processor.avatar(input);
    await naive();
  }
  for (let i = 0; i < 15 * ROUNDS; i++) {
    base.push(await time(naive));
    ours.push(await time(() => processor.avatar(input)));
  }
  console.log('\nImages: avatar of a 1600×1200, 700 KB JPEG → original + 4 squares, %d runs each', ours.length);
  console.log('  naive sharp (decode per variant)     median %s ms', median(base).toFixed(1));
  console.log('  plumage pipeline (decode once)       median %s ms', median(ours).toFixed(1));
  console.log('  ratio naive / plumage (speed-up)      %s', (median(base) / median(ours)).toFixed(2));
}

await imageBench();
await httpBench();
