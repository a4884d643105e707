// Composition root: builds every adapter and service from a Config. The server and the CLI
// both use it, and tests use it with their own Config, so all three run the same wiring.
import type { Kysely } from 'kysely';
import type { Config } from './config.ts';
import { systemClock, type Clock } from './clock.ts';
import { IdGenerator } from './ids.ts';
import { openDatabase } from './storage/db/dialect.ts';
import { migrateToLatest } from './storage/db/migrate.ts';
import type { Database } from './storage/db/schema.ts';
import { UsersRepository } from './storage/db/users.repository.ts';
import { AppsRepository, BearerTokensRepository, TokensRepository } from './storage/db/apps.repository.ts';
import { MemoryNonceStore } from './storage/limits/memory-nonce-store.ts';
import type { NonceStore } from './storage/limits/nonce-store.ts';
import type { RateLimiter } from './storage/limits/rate-limiter.ts';
import { MemoryRateLimiter } from './storage/limits/memory-rate-limiter.ts';
import { AccountsService } from './accounts/accounts.service.ts';
import { AuthService } from './auth/auth.service.ts';
import { AppAuthService } from './auth/app-auth.service.ts';
import { ProfileService } from './profile/profile.service.ts';
import { AppearanceService } from './profile/appearance.service.ts';
import { createImageProcessor, type ImageProcessor } from './images/index.ts';
import { WorkQueue, queuedImageProcessor } from './images/work-queue.ts';
import type { BlobStore } from './storage/blobs/blob-store.ts';
import { FsBlobStore } from './storage/blobs/fs-blob-store.ts';
import type { S3BlobStore } from './storage/blobs/s3-blob-store.ts';
import path from 'node:path';
import { GcService } from './maintenance/gc.service.ts';
import { Metrics, instrumentImages } from './observability/metrics.ts';
import { blobCheck, databaseCheck, redisCheck, type ReadinessCheck } from './observability/readiness.ts';

export interface Deps {
  config: Config;
  clock: Clock;
  db: Kysely<Database>;
  nonces: NonceStore;
  rateLimiter: RateLimiter;
  accounts: AccountsService;
  auth: AuthService;
  appAuth: AppAuthService;
  profile: ProfileService;
  appearance: AppearanceService;
  images: ImageProcessor;
  /** The bounded queue every upload's image work goes through (PLUMAGE_IMAGE_*). */
  imageQueue: WorkQueue;
  blobs: BlobStore;
  gc: GcService;
  /** This instance's Prometheus registry and instruments (never the global registry). */
  metrics: Metrics;
  /** What GET /readyz asks: the database, the blob store and Redis when configured. */
  readiness: ReadinessCheck[];
  close(): Promise<void>;
}

export interface DepsOptions {
  clock?: Clock;
  /** Apply pending migrations (the server and `plumage migrate` do; other commands too). */
  migrate?: boolean;
  /** Where adapters report trouble that is not tied to a request. */
  log?: { warn(obj: object, msg: string): void };
  /** Replaces the configured blob store (fault tests wrap the real one). */
  blobs?: BlobStore;
  /** Told about blobs that could not be deleted after a switch (gc collects them later). */
  onCleanupError?: (err: unknown, keys: readonly string[]) => void;
}

export async function createDeps(config: Config, opts: DepsOptions = {}): Promise<Deps> {
  const clock = opts.clock ?? systemClock;
  const { db, lockRows, fast } = openDatabase(config, (err) => opts.log?.warn({ err: err.message }, 'database connection lost; reconnecting on demand'));
  if (opts.migrate !== false) await migrateToLatest(db);
  const ids = new IdGenerator(clock);
  const users = new UsersRepository(db, lockRows, fast);
  const apps = new AppsRepository(db);
  const tokens = new TokensRepository(db, fast);
  // The scaled-out adapters are loaded only when configured: the AWS SDK and ioredis cost
  // start-up time that every embedded server and CLI command would otherwise pay.
  // One Redis connection serves both: nonces and rate counters shared by every node.
  let redis: import('./storage/limits/redis-client.ts').RedisClient | null = null;
  let pingRedis: (() => Promise<unknown>) | null = null;
  let nonces: NonceStore;
  let rateLimiter: RateLimiter;
  if (config.redisUrl) {
    const [{ createRedis, luaScript }, { RedisNonceStore }, { RedisRateLimiter }] = await Promise.all([
      import('./storage/limits/redis-client.ts'),
      import('./storage/limits/redis-nonce-store.ts'),
      import('./storage/limits/redis-rate-limiter.ts'),
    ]);
    const client = createRedis(config.redisUrl, { log: opts.log });
    redis = client;
    const ping = luaScript('return 1');
    pingRedis = () => client.runScript(ping, [], []);
    await redis.ready().catch(() => undefined); // down at start: requests get 503 until it is up
    nonces = new RedisNonceStore(redis);
    rateLimiter = new RedisRateLimiter(redis, clock);
  } else {
    nonces = new MemoryNonceStore(clock);
    rateLimiter = new MemoryRateLimiter(clock);
  }
  const { limits } = config;
  const metrics = new Metrics();
  const imageQueue = new WorkQueue(config.overload.imageConcurrency, config.overload.imageQueue);
  // The histogram times the processing itself; the wait in the queue is not counted.
  const images = queuedImageProcessor(instrumentImages(createImageProcessor({
    avatar: { maxBytes: limits.avatarBytes, maxPixels: limits.maxPixels },
    background: { maxBytes: limits.backgroundBytes, maxPixels: limits.maxPixels },
    banner: { maxBytes: limits.bannerBytes, maxPixels: limits.maxPixels },
  }), metrics), imageQueue);
  let s3: S3BlobStore | null = null;
  if (!opts.blobs && config.s3) {
    const { S3BlobStore, ensureBucket } = await import('./storage/blobs/s3-blob-store.ts');
    if (opts.migrate !== false) await ensureBucket(config.s3);
    s3 = new S3BlobStore(config.s3);
  }
  const blobs = opts.blobs ?? s3 ?? new FsBlobStore(path.join(config.dataDir, 'media'));
  const readiness = [databaseCheck(db), blobCheck(blobs)];
  const appearance = new AppearanceService(users, blobs, images, ids, clock, opts.onCleanupError);
  if (pingRedis) readiness.push(redisCheck(pingRedis));
  return {
    config,
    clock,
    db,
    nonces,
    rateLimiter,
    accounts: new AccountsService(users, apps, tokens, ids, clock),
    auth: new AuthService(apps, tokens, users, nonces, clock, config.timestampSkew),
    appAuth: new AppAuthService(apps, new BearerTokensRepository(db), clock),
    profile: new ProfileService(users),
    appearance,
    images,
    imageQueue,
    blobs,
    gc: new GcService(users, blobs, clock),
    metrics,
    readiness,
    async close() {
      // Replaced blobs still being deleted finish first: they need the database and the store.
      await appearance.settled();
      await nonces.close();
      await rateLimiter.close();
      await redis?.close();
      s3?.close();
      await db.destroy();
    },
  };
}
