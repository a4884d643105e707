// Shared plumbing of the CLI commands: config flags on every command, output, errors.
import type { Command } from 'commander';
import { ConfigError, inputFromEnv, loadConfig, type Config, type ConfigInput } from '../config.ts';
import { createDeps, type Deps, type DepsOptions } from '../deps.ts';

/** A message for the user, printed to stderr; the command exits non-zero. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

const FLAGS: ReadonlyArray<readonly [keyof ConfigInput, string, string]> = [
  ['host', '--host <address>', 'address to listen on (PLUMAGE_HOST)'],
  ['port', '--port <port>', 'port to listen on (PLUMAGE_PORT)'],
  ['dataDir', '--data-dir <dir>', 'data folder (PLUMAGE_DATA_DIR)'],
  ['publicUrl', '--public-url <url>', 'base URL clients use (PLUMAGE_PUBLIC_URL)'],
  ['tlsCert', '--tls-cert <file>', 'PEM certificate: serve HTTPS (PLUMAGE_TLS_CERT)'],
  ['tlsKey', '--tls-key <file>', 'PEM private key (PLUMAGE_TLS_KEY)'],
  ['trustProxy', '--trust-proxy <bool>', 'trust X-Forwarded-* (PLUMAGE_TRUST_PROXY)'],
  ['timestampSkew', '--timestamp-skew <seconds>', 'OAuth timestamp window (PLUMAGE_TIMESTAMP_SKEW)'],
  ['requireTls', '--require-tls <bool>', 'refuse plain-HTTP API calls (PLUMAGE_REQUIRE_TLS)'],
  ['logLevel', '--log-level <level>', 'log level (PLUMAGE_LOG_LEVEL)'],
  ['databaseUrl', '--database-url <url>', 'PostgreSQL URL (PLUMAGE_DATABASE_URL)'],
  ['redisUrl', '--redis-url <url>', 'Redis URL (PLUMAGE_REDIS_URL)'],
  ['mediaUrl', '--media-url <url>', 'CDN base URL for images (PLUMAGE_MEDIA_URL)'],
  ['avatarBytes', '--max-avatar-bytes <n>', 'largest profile image (PLUMAGE_MAX_AVATAR_BYTES)'],
  ['backgroundBytes', '--max-background-bytes <n>', 'largest background image (PLUMAGE_MAX_BACKGROUND_BYTES)'],
  ['bannerBytes', '--max-banner-bytes <n>', 'largest banner (PLUMAGE_MAX_BANNER_BYTES)'],
  ['maxPixels', '--max-pixels <n>', 'largest image in pixels (PLUMAGE_MAX_PIXELS)'],
  ['requestTimeout', '--request-timeout <seconds>', 'time to send a whole request (PLUMAGE_REQUEST_TIMEOUT)'],
];

const FLAG_KEY = (flag: string) => flag.slice(2).split(' ')[0]!.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

export function withConfigOptions(cmd: Command): Command {
  for (const [, flag, help] of FLAGS) cmd.option(flag, help);
  return cmd;
}

/** Flags override the environment. */
export function configFrom(cmd: Command): Config {
  const opts = cmd.opts() as Record<string, string | undefined>;
  const input: ConfigInput = inputFromEnv(process.env);
  for (const [key, flag] of FLAGS) {
    const v = opts[FLAG_KEY(flag)];
    if (v !== undefined) input[key] = v;
  }
  try {
    return loadConfig(input);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(`configuration: ${e.message}`, 2);
    throw e;
  }
}

export async function withDeps<T>(cmd: Command, fn: (deps: Deps) => Promise<T>, opts: DepsOptions = {}): Promise<T> {
  const deps = await createDeps(configFrom(cmd), opts);
  try {
    return await fn(deps);
  } finally {
    await deps.close();
  }
}

export function printJson(value: string | unknown): void {
  process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
}
