// The scaled-out tests need PostgreSQL and Redis. On a developer machine without them those
// tests are skipped LOUDLY; with CI=true they are mandatory and an unreachable service fails.
import net from 'node:net';
import { postgresReachable } from './postgres.ts';
import { REDIS_TEST_URL } from './redis.ts';

/** The machine's Redis for tests (one definition, in redis.ts). */
export const REDIS_URL = REDIS_TEST_URL;

function tcpReachable(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
    s.setTimeout(2000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

const checks: Record<'postgres' | 'redis', () => Promise<boolean>> = {
  postgres: postgresReachable,
  redis: () => tcpReachable(REDIS_URL),
};

/**
 * Resolves to false when the service answers. Otherwise: throws under CI=true, and elsewhere
 * prints a banner and resolves to the reason to give node:test's skip option.
 */
export async function serviceMissing(name: 'postgres' | 'redis'): Promise<string | false> {
  if (await checks[name]()) return false;
  const reason = `${name} is not reachable: the scaled-out tests did NOT run`;
  if (process.env.CI === 'true') throw new Error(`${name} is required when CI=true but is not reachable`);
  process.stderr.write(`\n${'!'.repeat(72)}\n!! SKIPPED: ${reason}\n${'!'.repeat(72)}\n\n`);
  return reason;
}

/** For a before() hook: fails when the service is required but missing. */
export async function requireService(name: 'postgres' | 'redis'): Promise<void> {
  const missing = await serviceMissing(name);
  if (missing) throw new Error(missing);
}
