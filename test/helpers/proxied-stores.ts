// PostgreSQL (a fresh test database), Redis and an S3 server, each reached through a TCP relay
// the test owns, so that a test can take any of them away and bring it back (outage tests).
import { createTestDatabase, PG_ADMIN_URL } from './postgres.ts';
import { startS3 } from './s3.ts';
import { REDIS_URL } from './services.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

export interface ProxiedStores {
  pgProxy: TcpProxy;
  redisProxy: TcpProxy;
  s3Proxy: TcpProxy;
  /** Config input naming the three stores through their relays. */
  input: { databaseUrl: string; redisUrl: string; s3Endpoint: string; s3Bucket: string; s3AccessKeyId: string; s3SecretAccessKey: string };
  close(): Promise<void>;
}

function viaProxy(url: string, proxy: TcpProxy): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}

export async function startProxiedStores(bucket: string): Promise<ProxiedStores> {
  const db = await createTestDatabase();
  const s3 = await startS3();
  const pg = new URL(PG_ADMIN_URL);
  const pgProxy = await startTcpProxy(pg.hostname, Number(pg.port || 5432));
  const redis = new URL(REDIS_URL);
  const redisProxy = await startTcpProxy(redis.hostname, Number(redis.port || 6379));
  const s3u = new URL(s3.endpoint);
  const s3Proxy = await startTcpProxy(s3u.hostname, Number(s3u.port));
  return {
    pgProxy,
    redisProxy,
    s3Proxy,
    input: {
      databaseUrl: viaProxy(db.url, pgProxy),
      redisUrl: viaProxy(REDIS_URL, redisProxy),
      s3Endpoint: viaProxy(s3.endpoint, s3Proxy).replace(/\/$/, ''),
      s3Bucket: bucket,
      s3AccessKeyId: s3.accessKeyId,
      s3SecretAccessKey: s3.secretAccessKey,
    },
    async close() {
      for (const p of [pgProxy, redisProxy, s3Proxy]) await p.close();
      await s3.close();
      await db.drop();
    },
  };
}
