// Starts s3rver (an S3-compatible server written in Node) on a free loopback port over a fresh
// temporary folder, with one bucket, for tests of the S3 blob store and of the scaled setup.
//
// It runs in a child process, for two reasons:
// - s3rver makes ListObjectsV2 continuation tokens with DES, which Node 17+ (OpenSSL 3) only
//   offers with --openssl-legacy-provider; in-process, every listing longer than one page
//   fails with a 500 InternalError.
// - An outage can be staged for real: stop() kills the server, start() brings it back on the
//   same port and data, as when a store restarts.
// Each call is independent, so a process may run several at once. The child also exits when
// this process does (its stdin closes), so a forgotten close() leaves nothing running.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

export interface TestS3 {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: true;
  /** s3rver's data folder: an object is the file "<bucket>/<key>._S3rver_object". */
  directory: string;
  /** Kills the server (an outage); the data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port over the same data. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const S3RVER_MAIN = createRequire(import.meta.url).resolve('s3rver');

// CommonJS, run with `node -e`: argv[1] is s3rver's entry, argv[2] the options as JSON.
const CHILD = `
const S3rver = require(process.argv[1]);
const o = JSON.parse(process.argv[2]);
const server = new S3rver({
  address: '127.0.0.1',
  port: o.port,
  silent: true,
  directory: o.directory,
  configureBuckets: o.buckets.map((name) => ({ name, configs: [] })),
});
server.run().then(
  (a) => process.stdout.write(JSON.stringify({ port: a.port }) + '\\n'),
  (e) => { process.stderr.write(String((e && e.stack) || e)); process.exit(1); },
);
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
`;

const START_TIMEOUT_MS = 15_000;

function spawnS3rver(options: { port: number; directory: string; buckets: string[] }): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD, S3RVER_MAIN, JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`s3rver did not start: ${why}${err ? `\n${err}` : ''}`));
    };
    const timer = setTimeout(() => fail(`no answer within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => fail(e.message));
    child.on('exit', (code) => fail(`exited with ${code}`));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.removeAllListeners('error');
      child.on('error', () => {});
      // Neither the child nor its pipes keep this process alive.
      child.unref();
      for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
      resolve({ child, port: (JSON.parse(out.slice(0, nl)) as { port: number }).port });
    });
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.ref(); // keep this process up until the child has gone
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export async function startS3(options: { bucket?: string } = {}): Promise<TestS3> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'plumage-s3rver-'));
  const bucket = options.bucket ?? `plumage-${crypto.randomBytes(4).toString('hex')}`;
  let running: { child: ChildProcess; port: number };
  try {
    running = await spawnS3rver({ port: 0, directory, buckets: [bucket] });
  } catch (e) {
    fs.rmSync(directory, { recursive: true, force: true });
    throw e;
  }
  const port = running.port;
  let child: ChildProcess | null = running.child;
  let closed = false;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    region: 'us-east-1',
    // s3rver's built-in account; it checks the key id but not V4 signatures.
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    forcePathStyle: true,
    directory,
    async stop() {
      if (child) await kill(child);
      child = null;
    },
    async start() {
      if (closed) throw new Error('s3rver was closed');
      if (child) return;
      child = (await spawnS3rver({ port, directory, buckets: [] })).child;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (child) await kill(child);
      child = null;
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
