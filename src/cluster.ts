// `plumage serve --workers N` (N > 1): a primary process applies migrations, then forks N
// workers with node:cluster; each runs the whole server and they share the listening socket.
//
// Correctness across workers: OAuth nonces and rate-limit counters must be shared, or a
// request replayed onto another worker would be accepted and every limit multiplied by N. The
// in-process stores cannot do that, so several workers require Redis (PLUMAGE_REDIS_URL), which
// is what several nodes use too. SQLite itself is shared safely: WAL mode, busy_timeout, and
// writes that read-then-write take the write lock first (BEGIN IMMEDIATE).
import cluster from 'node:cluster';
import type { Config } from './config.ts';
import { createDeps } from './deps.ts';

export class WorkersError extends Error {
  override name = 'WorkersError';
}

/** Parses --workers: a whole number from 1 to 64. */
export function parseWorkers(raw: string | undefined): number {
  if (raw === undefined) return 1;
  if (!/^\d{1,2}$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > 64) throw new WorkersError(`--workers must be a whole number from 1 to 64, got "${raw}"`);
  return Number(raw);
}

/** Refuses configurations in which workers would not share nonces and rate limits. */
export function checkWorkers(config: Config, workers: number): void {
  if (workers > 1 && config.redisUrl === null) {
    throw new WorkersError(
      '--workers > 1 needs PLUMAGE_REDIS_URL: OAuth nonces and rate limits are kept in process memory otherwise, so a request replayed to another worker would be accepted',
    );
  }
}

export const isClusterWorker = () => cluster.isWorker;

/**
 * Primary side: migrate once, fork the workers, replace one that dies unexpectedly, and on
 * SIGINT/SIGTERM let every worker close gracefully before exiting.
 */
export async function runPrimary(config: Config, workers: number, log: (msg: string) => void): Promise<void> {
  // Migrations once, before any worker opens the database.
  const deps = await createDeps(config);
  await deps.close();
  let stopping = false;
  const fork = () => cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    log(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    fork();
  });
  for (let i = 0; i < workers; i++) fork();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      stopping = true;
      const all = Object.values(cluster.workers ?? {});
      if (all.length === 0) process.exit(0);
      for (const w of all) w?.process.kill('SIGTERM');
    });
  }
}
