// `npm run bench:overload`: does a flood of uploads starve the rest of the API? A real
// `plumage serve` process (embedded storage, the overload settings of the environment, by
// default: image concurrency = cores, queue = 8 × cores, event-loop shedding at 1000 ms) is
// measured twice in one run:
//
//  1. quiet: update_profile_colors from a few connections, nothing else;
//  2. loaded: the same, while 24 connections upload large banners back to back (ten
//     variants each, the heaviest image work Plumage does): every core busy and more uploads
//     than the queue holds on a machine of up to two cores.
//
// It prints p50/p99/max latency of the colour updates in both phases, and what happened to the
// uploads (accepted, refused with 503 / 130, other). Every request is signed afresh with the
// oauth-1.0a package. Not a test: figures depend on the machine; nothing is asserted.
//
// Usage: npm run bench:overload [-- --seconds 10 --uploaders 24 --writers 2]
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OAuth from 'oauth-1.0a';
import sharp from 'sharp';
import { inputFromEnv, loadConfig } from '../src/config.ts';
import { createDeps } from '../src/deps.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/plumage.js');
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const SECONDS = arg('seconds', 10);
const UPLOADERS = arg('uploaders', 24);
const WRITERS = arg('writers', 2);

interface Token {
  key: string;
  secret: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`plumage serve exited with ${child.exitCode}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${url} did not answer`);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumage-overload-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const deps = await createDeps(loadConfig({ dataDir }));
  const app = await deps.accounts.addApp('overload', 'read-write');
  const tokenFor = async (screenName: string): Promise<Token> => {
    await deps.accounts.addUser({ screenName });
    const { token } = await deps.accounts.issueToken(app.consumerKey, screenName);
    return { key: token.token, secret: token.secret };
  };
  const writerTokens = await Promise.all(Array.from({ length: WRITERS }, (_, i) => tokenFor(`writer${i}`)));
  const uploaderTokens = await Promise.all(Array.from({ length: UPLOADERS }, (_, i) => tokenFor(`uploader${i}`)));
  await deps.close();

  const oauth = new OAuth({
    consumer: { key: app.consumerKey, secret: app.consumerSecret },
    signature_method: 'HMAC-SHA1',
    hash_function: (b, k) => crypto.createHmac('sha1', k).update(b).digest('base64'),
  });
  const auth = (t: Token, method: string, url: string, data: Record<string, string> = {}) =>
    oauth.toHeader(oauth.authorize({ url, method, data }, t)).Authorization;

  // A 1500×500 banner of noise: large to decode, slow to encode ten times.
  const noise = crypto.randomBytes(1500 * 500 * 3);
  const banner = await sharp(noise, { raw: { width: 1500, height: 500, channels: 3 } }).png().toBuffer();
  const boundary = `bench${crypto.randomBytes(8).toString('hex')}`;
  const uploadBody = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="banner"; filename="b.png"\r\nContent-Type: image/png\r\n\r\n`),
    banner,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);

  const env = { ...process.env, PLUMAGE_DATA_DIR: dataDir, PLUMAGE_PORT: String(port), PLUMAGE_LOG_LEVEL: 'error', PLUMAGE_RATE_LIMITS: 'off' };
  const child = spawn(process.execPath, [BIN, 'serve'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await waitFor(base, child);
    const { overload } = loadConfig(inputFromEnv(env));
    console.log(`plumage serve on ${os.availableParallelism()} core(s): image concurrency ${overload.imageConcurrency}, queue ${overload.imageQueue}; ${WRITERS} colour writer(s), ${UPLOADERS} uploader(s) of a ${(banner.length / 1e6).toFixed(1)} MB banner, ${SECONDS} s per phase\n`);

    const colourUrl = `${base}/1.1/account/update_profile_colors.json`;
    let colourSeq = 0;
    const colours = async (until: number) => {
      const latencies: number[] = [];
      let errors = 0;
      await Promise.all(
        writerTokens.map(async (t) => {
          while (Date.now() < until) {
            const form = { profile_link_color: (0x100000 + (colourSeq++ % 0xeffff)).toString(16) };
            const started = performance.now();
            const res = await fetch(colourUrl, {
              method: 'POST',
              headers: { authorization: auth(t, 'POST', colourUrl, form), 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams(form).toString(),
            });
            await res.arrayBuffer();
            latencies.push(performance.now() - started);
            if (res.status !== 200) errors++;
          }
        }),
      );
      return { latencies: latencies.sort((a, b) => a - b), errors };
    };

    const bannerUrl = `${base}/1.1/account/update_profile_banner.json`;
    const uploads = { accepted: 0, overCapacity: 0, other: 0 };
    let uploading = true;
    const uploaders = () =>
      Promise.all(
        uploaderTokens.map(async (t) => {
          while (uploading) {
            const res = await fetch(bannerUrl, {
              method: 'POST',
              headers: { authorization: auth(t, 'POST', bannerUrl), 'content-type': `multipart/form-data; boundary=${boundary}` },
              body: uploadBody,
            });
            const text = await res.text();
            if (res.status === 201 || res.status === 200) uploads.accepted++;
            else if (res.status === 503 && text.includes('"code":130')) {
              uploads.overCapacity++;
              // A client that honours 503 backs off briefly before trying again.
              await new Promise((r) => setTimeout(r, 100));
            } else uploads.other++;
          }
        }),
      );

    const quiet = await colours(Date.now() + SECONDS * 1000);
    const load = uploaders();
    // Let the uploads fill the queue before measuring.
    await new Promise((r) => setTimeout(r, 1000));
    const loaded = await colours(Date.now() + SECONDS * 1000);
    uploading = false;
    await load;

    const row = (name: string, r: { latencies: number[]; errors: number }) =>
      `${name.padEnd(22)} ${String(r.latencies.length).padStart(6)} ${percentile(r.latencies, 50).toFixed(1).padStart(9)} ${percentile(r.latencies, 99).toFixed(1).padStart(9)} ${r.latencies[r.latencies.length - 1]!.toFixed(1).padStart(9)} ${String(r.errors).padStart(7)}`;
    console.log(`update_profile_colors   requests   p50 (ms)  p99 (ms)  max (ms)  non-200`);
    console.log(row('quiet', quiet));
    console.log(row('under upload load', loaded));
    console.log(`\nuploads during the loaded phase: ${uploads.accepted} accepted (201), ${uploads.overCapacity} refused 503 / 130 "Over capacity", ${uploads.other} other`);
    console.log(`p99 ratio loaded/quiet: ${(percentile(loaded.latencies, 99) / percentile(quiet.latencies, 99)).toFixed(1)}×`);
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
