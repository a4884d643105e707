// Test harness: the real app (buildApp, same wiring as production) on a loopback port, with a
// fresh data folder, plus ready-made accounts and client credentials.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import assert from 'node:assert/strict';
import { ApiResponseError, TwitterApi } from 'twitter-api-v2';
import { loadConfig, type ConfigInput } from '../../src/config.ts';
import { createDeps, type Deps, type DepsOptions } from '../../src/deps.ts';
import { buildApp } from '../../src/http/app.ts';
import type { Clock } from '../../src/clock.ts';
import type { FastifyInstance } from 'fastify';
import crypto from 'node:crypto';
import { createTestDatabase } from './postgres.ts';
import { startS3, type TestS3 } from './s3.ts';
import { REDIS_URL } from './services.ts';

/**
 * PLUMAGE_TEST_STORAGE=scaled runs every server of the HTTP suite on PostgreSQL (a fresh
 * database each), Redis and an S3-compatible server instead of SQLite, memory and files.
 */
export const SCALED = process.env.PLUMAGE_TEST_STORAGE === 'scaled';

let sharedS3: Promise<TestS3> | undefined;

/** The scaled configuration for one server, and how to clean it up. */
export async function scaledConfig(): Promise<{ input: ConfigInput; cleanup(): Promise<void> }> {
  sharedS3 ??= startS3();
  const s3 = await sharedS3;
  const db = await createTestDatabase();
  return {
    input: {
      databaseUrl: db.url,
      databasePoolSize: '4',
      redisUrl: REDIS_URL,
      s3Endpoint: s3.endpoint,
      // A bucket per server keeps tests apart; ensureBucket creates it at start.
      s3Bucket: `plumage-${crypto.randomBytes(6).toString('hex')}`,
      s3Region: s3.region,
      s3AccessKeyId: s3.accessKeyId,
      s3SecretAccessKey: s3.secretAccessKey,
      s3ForcePathStyle: 'true',
    },
    cleanup: () => db.drop(),
  };
}

export interface Credentials {
  consumerKey: string;
  consumerSecret: string;
  token: string;
  tokenSecret: string;
  userId: string;
  screenName: string;
}

export interface TestServer {
  url: string;
  port: number;
  deps: Deps;
  app: FastifyInstance;
  dataDir: string;
  /** A new account with a read-write app token (or read-only when asked), and an e-mail address when given. */
  account(screenName: string, opts?: { readOnly?: boolean; name?: string; email?: string }): Promise<Credentials>;
  close(): Promise<void>;
}

/** The test servers of this process that are still open. */
const openServers = new Set<Deps>();

/**
 * Waits until every open test server has finished deleting the blobs its switches replaced.
 * Those deletions run after the answer (src/profile/appearance.service.ts); a test that looks
 * at served media or at the store waits for them first (fetchMedia, fetchImage, blobKeys).
 */
export async function settleServers(): Promise<void> {
  await Promise.all([...openServers].map((d) => d.appearance.settled()));
}

export function tempDir(prefix = 'plumage-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startTestServer(
  input: ConfigInput = {},
  opts: DepsOptions & { clock?: Clock; beforeListen?: (app: FastifyInstance) => void } = {},
): Promise<TestServer> {
  const dataDir = input.dataDir ?? tempDir();
  const scaled = SCALED && !opts.blobs ? await scaledConfig() : null;
  // The server shares this process with the test's own synchronous work (fixture generation,
  // decoding with sharp): its event-loop delay is not the server's, so load shedding on it is
  // off unless a test asks for it (test/http/overload.test.ts).
  const config = loadConfig({ port: '0', maxEventLoopDelay: '0', ...(scaled?.input ?? {}), ...input, dataDir });
  const deps = await createDeps(config, opts);
  const app = await buildApp(deps);
  openServers.add(deps);
  opts.beforeListen?.(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  const url = `${config.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    url,
    port,
    deps,
    app,
    dataDir,
    async account(screenName, o = {}) {
      const user = await deps.accounts.addUser({ screenName, name: o.name, email: o.email });
      const app = await deps.accounts.addApp(`app-${screenName}`, o.readOnly ? 'read' : 'read-write');
      const { token } = await deps.accounts.issueToken(app.consumerKey, user.screenName);
      return {
        consumerKey: app.consumerKey,
        consumerSecret: app.consumerSecret,
        token: token.token,
        tokenSecret: token.secret,
        userId: user.id,
        screenName: user.screenName,
      };
    },
    async close() {
      // Media responses are streams: a connection can turn idle just after close() began.
      app.server.closeAllConnections();
      await app.close();
      openServers.delete(deps);
      await deps.close();
      await scaled?.cleanup();
      if (input.dataDir === undefined) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** twitter-api-v2, unmodified, pointed at the test server as clients.md §1 describes. */
export function twitterApiV2(server: Pick<TestServer, 'url'>, c: Credentials) {
  const client = new TwitterApi(
    { appKey: c.consumerKey, appSecret: c.consumerSecret, accessToken: c.token, accessSecret: c.tokenSecret },
    server.url.startsWith('http:') ? { httpAgent: new http.Agent() } : {},
  );
  const v1 = client.v1;
  (v1 as unknown as { setPrefix(p: string): void }).setPrefix(`${server.url}/1.1/`);
  return v1;
}

/** How a twitter-api-v2 call ended: "resolved", or "<HTTP status>/<Twitter code>". */
export async function twitterCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    assert.ok(e instanceof ApiResponseError, String(e));
    return `${e.code}/${(e.errors?.[0] as { code?: number } | undefined)?.code}`;
  }
}
