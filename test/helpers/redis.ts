// Redis for tests: the machine's server (127.0.0.1:6379 unless PLUMAGE_TEST_REDIS_URL says),
// key prefixes unique per run, and throwaway redis-server processes for fault tests.
//
// The rule of issue 4: on a machine without Redis these tests are skipped, loudly; with
// CI=true they are mandatory and fail when Redis (or the redis-server binary) is missing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import type { TestContext } from 'node:test';
import { createRedis, luaScript, type RedisClient } from '../../src/storage/limits/redis-client.ts';

export const REDIS_TEST_URL = process.env.PLUMAGE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const MANDATORY = process.env.CI === 'true';

function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

const warned = new Set<string>();
function banner(what: string, why: string): void {
  if (warned.has(what)) return;
  warned.add(what);
  const line = '!'.repeat(78);
  console.warn(
    `\n${line}\n!! SKIPPED: ${what}\n!! because ${why}.\n` +
      `!! Start Redis (or set PLUMAGE_TEST_REDIS_URL); with CI=true these tests are mandatory.\n${line}\n`,
  );
}

/** Skips the test loudly, or fails it when CI=true. */
function unavailable(t: TestContext, what: string, why: string): null {
  if (MANDATORY) throw new Error(`${what} cannot run: ${why} (CI=true makes Redis tests mandatory)`);
  banner(what, why);
  t.skip(`${what}: ${why}`);
  return null;
}

let probe: Promise<string | null> | undefined;
/** null when Redis answers, else why not. Asked once per process. */
function redisProblem(): Promise<string | null> {
  probe ??= (async () => {
    let client: RedisClient;
    try {
      client = createRedis(REDIS_TEST_URL, { connectTimeoutMs: 1000 });
    } catch (err) {
      return (err as Error).message;
    }
    try {
      await client.ready(2000);
      return null;
    } catch (err) {
      return (err as Error).message;
    } finally {
      await client.close();
    }
  })();
  return probe;
}

/** The test Redis URL, or null after skipping t (never with CI=true: then t fails). */
export async function redisUrlOrSkip(t: TestContext): Promise<string | null> {
  const problem = await redisProblem();
  if (problem === null) return REDIS_TEST_URL;
  return unavailable(t, 'Redis tests', `no Redis answers at ${withoutCredentials(REDIS_TEST_URL)} (${problem})`);
}

/** The redis-server binary, or null after skipping t (never with CI=true: then t fails). */
export function redisServerOrSkip(t: TestContext): string | null {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.status === 0) return 'redis-server';
  return unavailable(t, 'Redis fault tests (throwaway redis-server)', 'the redis-server binary was not found');
}

/** A key prefix no other run (or test file) shares. */
export function uniquePrefix(label = 'test'): string {
  return `plumage-test:${label}:${process.pid}:${crypto.randomBytes(4).toString('hex')}:`;
}

const DELETE_MATCHING = luaScript(`
local cursor = '0'
local n = 0
repeat
  local r = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = r[1]
  for _, k in ipairs(r[2]) do
    redis.call('DEL', k)
    n = n + 1
  end
until cursor == '0'
return n
`);

/** Deletes every key under prefix (prefixes from uniquePrefix hold no glob characters). */
export async function deleteKeys(client: RedisClient, prefix: string): Promise<number> {
  return (await client.runScript(DELETE_MATCHING, [], [`${prefix}*`])) as number;
}

/** A loopback port nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** A throwaway redis-server on a fixed port that a test can kill, pause and start again. */
export class RedisServerProcess {
  private child: ChildProcess | null = null;

  private constructor(
    private readonly binary: string,
    readonly port: number,
  ) {}

  static async start(binary: string): Promise<RedisServerProcess> {
    const server = new RedisServerProcess(binary, await closedPort());
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again) on the same port; resolves when it accepts connections. */
  async start(): Promise<void> {
    if (this.child) throw new Error('already running');
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', os.tmpdir()];
    const child = spawn(this.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    children.add(child);
    child.once('exit', () => {
      children.delete(child);
      if (this.child === child) this.child = null;
    });
    let output = '';
    let ready = false;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve();
      };
      const onExit = (code: number | null) => done(new Error(`redis-server exited with ${code}:\n${output}`));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        done(new Error(`redis-server did not start in 5 s:\n${output}`));
      }, 5000);
      child.on('exit', onExit);
      child.once('error', (err) => done(err));
      // Keep reading after start-up so that a full pipe never blocks the server.
      child.stdout!.on('data', (chunk: Buffer) => {
        if (ready) return;
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          ready = true;
          done();
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        if (!ready) output += chunk.toString();
      });
    });
  }

  /** Kills the server (SIGKILL: a crash, not a shutdown) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await gone;
  }

  /** Freezes the server: connections stay open but nothing is answered. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }
}
