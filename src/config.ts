// Configuration: parsed once from flags and PLUMAGE_* variables, validated, frozen, then passed
// in. No other module reads process.env (DESIGN rule 7), so tests build their own Config.
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { parseRateLimits, type RateLimitSettings } from './limits/defaults.ts';

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** Base URL clients use, without a trailing slash (e.g. https://api.example.org). */
  readonly publicUrl: string;
  /** True when PLUMAGE_PUBLIC_URL was given: then OAuth base strings are built from it. */
  readonly publicUrlExplicit: boolean;
  /** Base for the `_https` URL fields: the public URL when it is https, its https twin when this
   *  server serves TLS itself, else the public URL as it is (there is no https base to give). */
  readonly publicHttpsUrl: string;
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | null;
  readonly trustProxy: boolean;
  /** Seconds an oauth_timestamp may differ from our clock. */
  readonly timestampSkew: number;
  readonly requireTls: boolean;
  readonly logLevel: string;
  /** Upload limits in decoded bytes and pixels. */
  /** PostgreSQL instead of the embedded SQLite file, when set. */
  readonly database: { readonly url: string; readonly poolSize: number } | null;
  /** Redis for nonces and rate-limit counters, when set (else in-process). */
  readonly redisUrl: string | null;
  /** S3-compatible object storage for images, when set (else <data dir>/media). */
  readonly s3: {
    readonly endpoint: string | undefined;
    readonly bucket: string;
    readonly region: string;
    readonly accessKeyId: string | undefined;
    readonly secretAccessKey: string | undefined;
    readonly forcePathStyle: boolean;
  } | null;
  /** Base URL of media (a CDN or public bucket) instead of serving it through Plumage. */
  readonly mediaUrl: string | null;
  /** Bearer token that GET /metrics requires; /metrics is not served when null. */
  readonly metricsToken: string | null;
  /** Milliseconds a client has to send a whole request (headers and body); slower ones get 408. */
  readonly requestTimeoutMs: number;
  readonly limits: {
    readonly avatarBytes: number;
    readonly backgroundBytes: number;
    readonly bannerBytes: number;
    readonly maxPixels: number;
  };
  /** Rate-limit ceilings, or disabled for trusted deployments and benchmarks. */
  readonly rateLimits: RateLimitSettings;
  /** Overload protection: image work runs through a bounded queue; a saturated event loop sheds requests. */
  readonly overload: {
    /** Images processed at once. */
    readonly imageConcurrency: number;
    /** Uploads that may wait for a slot; beyond that, 503 / 130 at once. */
    readonly imageQueue: number;
    /** Mean event-loop delay (ms) beyond which every request is answered 503 / 130; 0 = off. */
    readonly maxEventLoopDelayMs: number;
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Flag and environment names: flags are the lower-case, dashed form of the variable tail. */
const KEYS = {
  host: 'PLUMAGE_HOST',
  port: 'PLUMAGE_PORT',
  dataDir: 'PLUMAGE_DATA_DIR',
  publicUrl: 'PLUMAGE_PUBLIC_URL',
  tlsCert: 'PLUMAGE_TLS_CERT',
  tlsKey: 'PLUMAGE_TLS_KEY',
  trustProxy: 'PLUMAGE_TRUST_PROXY',
  timestampSkew: 'PLUMAGE_TIMESTAMP_SKEW',
  requireTls: 'PLUMAGE_REQUIRE_TLS',
  logLevel: 'PLUMAGE_LOG_LEVEL',
  databaseUrl: 'PLUMAGE_DATABASE_URL',
  databasePoolSize: 'PLUMAGE_DATABASE_POOL_SIZE',
  redisUrl: 'PLUMAGE_REDIS_URL',
  s3Endpoint: 'PLUMAGE_S3_ENDPOINT',
  s3Bucket: 'PLUMAGE_S3_BUCKET',
  s3Region: 'PLUMAGE_S3_REGION',
  s3AccessKeyId: 'PLUMAGE_S3_ACCESS_KEY_ID',
  s3SecretAccessKey: 'PLUMAGE_S3_SECRET_ACCESS_KEY',
  s3ForcePathStyle: 'PLUMAGE_S3_FORCE_PATH_STYLE',
  mediaUrl: 'PLUMAGE_MEDIA_URL',
  avatarBytes: 'PLUMAGE_MAX_AVATAR_BYTES',
  backgroundBytes: 'PLUMAGE_MAX_BACKGROUND_BYTES',
  bannerBytes: 'PLUMAGE_MAX_BANNER_BYTES',
  maxPixels: 'PLUMAGE_MAX_PIXELS',
  rateLimits: 'PLUMAGE_RATE_LIMITS',
  metricsToken: 'PLUMAGE_METRICS_TOKEN',
  imageConcurrency: 'PLUMAGE_IMAGE_CONCURRENCY',
  imageQueue: 'PLUMAGE_IMAGE_QUEUE',
  maxEventLoopDelay: 'PLUMAGE_MAX_EVENT_LOOP_DELAY',
  requestTimeout: 'PLUMAGE_REQUEST_TIMEOUT',
} as const;

export type ConfigInput = Partial<Record<keyof typeof KEYS, string | undefined>>;

/** Reads the PLUMAGE_* variables of an environment into a ConfigInput. */
export function inputFromEnv(env: NodeJS.ProcessEnv): ConfigInput {
  const out: ConfigInput = {};
  for (const [k, name] of Object.entries(KEYS) as Array<[keyof typeof KEYS, string]>) {
    const v = env[name];
    if (v !== undefined && v !== '') out[k] = v;
  }
  return out;
}

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function parseBool(name: string, v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  const s = v.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  throw new ConfigError(`${name} must be true or false, got "${v}"`);
}

function parseInt10(name: string, v: string | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v.trim())) throw new ConfigError(`${name} must be a whole number, got "${v}"`);
  const n = Number(v.trim());
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function readFile(name: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new ConfigError(`${name}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Validates the input and returns a frozen Config, or throws one ConfigError naming the problem. */
export function loadConfig(input: ConfigInput, cwd = process.cwd()): Config {
  const host = input.host ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.\-:\[\]]+$/.test(host)) throw new ConfigError(`${KEYS.host} is not a host name or address: "${host}"`);
  const port = parseInt10(KEYS.port, input.port, 3000, 0, 65535);
  const dataDir = path.resolve(cwd, input.dataDir ?? './data');

  if ((input.tlsCert === undefined) !== (input.tlsKey === undefined)) {
    throw new ConfigError(`${KEYS.tlsCert} and ${KEYS.tlsKey} must be given together`);
  }
  const tls = input.tlsCert !== undefined && input.tlsKey !== undefined
    ? { cert: readFile(KEYS.tlsCert, input.tlsCert), key: readFile(KEYS.tlsKey, input.tlsKey) }
    : null;

  const hostForUrl = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const defaultUrl = `${tls ? 'https' : 'http'}://${hostForUrl === '0.0.0.0' ? '127.0.0.1' : hostForUrl}:${port}`;
  const publicUrl = normalizePublicUrl(input.publicUrl ?? defaultUrl);
  const u = new URL(publicUrl);
  const publicHttpsUrl = u.protocol === 'https:'
    ? publicUrl
    : tls ? normalizePublicUrl(`https://${u.host}${u.pathname}`) : publicUrl;

  const logLevel = input.logLevel ?? 'info';
  if (!LOG_LEVELS.has(logLevel)) throw new ConfigError(`${KEYS.logLevel} must be one of ${[...LOG_LEVELS].join(', ')}`);

  const database = input.databaseUrl === undefined ? null : Object.freeze({
    url: checkUrl(KEYS.databaseUrl, input.databaseUrl, ['postgres:', 'postgresql:']),
    poolSize: parseInt10(KEYS.databasePoolSize, input.databasePoolSize, 10, 1, 1000),
  });
  const redisUrl = input.redisUrl === undefined ? null : checkUrl(KEYS.redisUrl, input.redisUrl, ['redis:', 'rediss:']);
  const s3Given = [input.s3Endpoint, input.s3Bucket, input.s3AccessKeyId, input.s3SecretAccessKey].some((v) => v !== undefined);
  if (s3Given && input.s3Bucket === undefined) throw new ConfigError(`${KEYS.s3Bucket} is required with the other PLUMAGE_S3_* variables`);
  if ((input.s3AccessKeyId === undefined) !== (input.s3SecretAccessKey === undefined)) {
    throw new ConfigError(`${KEYS.s3AccessKeyId} and ${KEYS.s3SecretAccessKey} must be given together`);
  }
  if (input.s3Bucket !== undefined && !/^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$/.test(input.s3Bucket)) {
    throw new ConfigError(`${KEYS.s3Bucket} is not a valid bucket name: "${input.s3Bucket}"`);
  }
  const s3 = input.s3Bucket === undefined ? null : Object.freeze({
    endpoint: input.s3Endpoint === undefined ? undefined : checkUrl(KEYS.s3Endpoint, input.s3Endpoint, ['http:', 'https:']),
    bucket: input.s3Bucket,
    region: input.s3Region ?? 'us-east-1',
    accessKeyId: input.s3AccessKeyId,
    secretAccessKey: input.s3SecretAccessKey,
    forcePathStyle: parseBool(KEYS.s3ForcePathStyle, input.s3ForcePathStyle, input.s3Endpoint !== undefined),
  });
  const mediaUrl = input.mediaUrl === undefined ? null : checkUrl(KEYS.mediaUrl, input.mediaUrl, ['http:', 'https:']).replace(/\/+$/, '');

  let rateLimits: RateLimitSettings;
  try {
    rateLimits = parseRateLimits(input.rateLimits, KEYS.rateLimits);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }

  const metricsToken = input.metricsToken ?? null;
  // Never repeated in the message: it is a secret.
  if (metricsToken !== null && !/^[\x21-\x7e]{16,256}$/.test(metricsToken)) {
    throw new ConfigError(`${KEYS.metricsToken} must be 16 to 256 printable characters without spaces`);
  }
  // Twice the cores: an upload spends part of its time off the CPU's pixel work (its body, the
  // event loop's part, the durable writes), and another image's decode fills that time. Four
  // concurrent uploads on two cores: 4-5% more uploads per second than with a slot per core
  // (docs/benchmarks.md). libvips gives each image one thread while several are processed.
  const imageConcurrency = parseInt10(KEYS.imageConcurrency, input.imageConcurrency, 2 * os.availableParallelism(), 1, 1024);
  const overload = Object.freeze({
    imageConcurrency,
    imageQueue: parseInt10(KEYS.imageQueue, input.imageQueue, 8 * imageConcurrency, 0, 100_000),
    maxEventLoopDelayMs: parseInt10(KEYS.maxEventLoopDelay, input.maxEventLoopDelay, 1000, 0, 600_000),
  });

  const MB = 1024 * 1024;
  return Object.freeze({
    rateLimits,
    metricsToken,
    overload,
    database,
    redisUrl,
    s3,
    mediaUrl,
    host,
    port,
    dataDir,
    publicUrl,
    publicUrlExplicit: input.publicUrl !== undefined,
    publicHttpsUrl,
    tls,
    trustProxy: parseBool(KEYS.trustProxy, input.trustProxy, false),
    timestampSkew: parseInt10(KEYS.timestampSkew, input.timestampSkew, 300, 1, 86400),
    requireTls: parseBool(KEYS.requireTls, input.requireTls, false),
    logLevel,
    requestTimeoutMs: parseInt10(KEYS.requestTimeout, input.requestTimeout, 120, 1, 3600) * 1000,
    limits: Object.freeze({
      avatarBytes: parseInt10(KEYS.avatarBytes, input.avatarBytes, 700 * 1024, 1, 64 * MB),
      backgroundBytes: parseInt10(KEYS.backgroundBytes, input.backgroundBytes, 800 * 1024, 1, 64 * MB),
      bannerBytes: parseInt10(KEYS.bannerBytes, input.bannerBytes, 5 * MB, 1, 64 * MB),
      maxPixels: parseInt10(KEYS.maxPixels, input.maxPixels, 50_000_000, 1, 1_000_000_000),
    }),
  });
}

/** A URL with one of the given schemes; the message never repeats it (it may hold a password). */
function checkUrl(name: string, raw: string, schemes: readonly string[]): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a URL`);
  }
  if (!schemes.includes(u.protocol)) throw new ConfigError(`${name} must start with ${schemes.map((x) => `${x}//`).join(' or ')}`);
  return raw;
}

function normalizePublicUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${KEYS.publicUrl} is not a URL: "${raw}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new ConfigError(`${KEYS.publicUrl} must start with http:// or https://, got "${raw}"`);
  }
  if (u.search || u.hash || u.username || u.password) {
    throw new ConfigError(`${KEYS.publicUrl} must not carry a query, fragment or credentials: "${raw}"`);
  }
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

/** Help text listing every variable, shared by `plumage serve --help` and the docs. */
export const CONFIG_VARIABLES: ReadonlyArray<readonly [string, string]> = [
  [KEYS.host, 'address to listen on (127.0.0.1)'],
  [KEYS.port, 'port to listen on (3000)'],
  [KEYS.dataDir, 'folder for the SQLite database and images (./data)'],
  [KEYS.publicUrl, 'base URL clients use (http://HOST:PORT)'],
  [KEYS.tlsCert, 'PEM certificate file: serve HTTPS'],
  [KEYS.tlsKey, 'PEM private key file for the certificate'],
  [KEYS.trustProxy, 'trust X-Forwarded-Proto/Host/For from a proxy (false)'],
  [KEYS.timestampSkew, 'seconds an oauth_timestamp may be off (300)'],
  [KEYS.requireTls, 'answer plain-HTTP API calls with 403 code 92 (false)'],
  [KEYS.logLevel, 'fatal|error|warn|info|debug|trace|silent (info)'],
  [KEYS.databaseUrl, 'postgres://… : use PostgreSQL instead of SQLite'],
  [KEYS.databasePoolSize, 'PostgreSQL connections per node (10)'],
  [KEYS.redisUrl, 'redis://… : nonces and rate limits in Redis (shared by nodes)'],
  [KEYS.s3Endpoint, 'S3-compatible endpoint URL (AWS when unset)'],
  [KEYS.s3Bucket, 'bucket for images: use S3 instead of <data dir>/media'],
  [KEYS.s3Region, 'bucket region (us-east-1)'],
  [KEYS.s3AccessKeyId, 'S3 access key id (else the AWS default chain)'],
  [KEYS.s3SecretAccessKey, 'S3 secret access key'],
  [KEYS.s3ForcePathStyle, 'path-style bucket URLs (true with an endpoint)'],
  [KEYS.mediaUrl, 'base URL of a CDN or public bucket serving the images'],
  [KEYS.avatarBytes, 'largest profile image, decoded bytes (716800)'],
  [KEYS.backgroundBytes, 'largest background image, decoded bytes (819200)'],
  [KEYS.bannerBytes, 'largest banner, decoded bytes (5242880)'],
  [KEYS.maxPixels, 'largest image in pixels, to stop decompression bombs (50000000)'],
  [KEYS.rateLimits, 'on | off | endpoint=N,… overrides, e.g. post=1000 (on)'],
  [KEYS.metricsToken, 'serve GET /metrics to requests bearing this token (off when unset)'],
  [KEYS.imageConcurrency, 'images processed at once (twice the number of cores)'],
  [KEYS.imageQueue, 'uploads waiting for an image slot before 503 code 130 (8 × concurrency)'],
  [KEYS.maxEventLoopDelay, 'mean event-loop delay in ms that turns requests away with 503 code 130; 0 = off (1000)'],
  [KEYS.requestTimeout, 'seconds a client has to send a whole request; slower ones get 408 (120)'],
];
