// Readiness: can this node serve requests now? Each configured store is asked one cheap
// question (SELECT 1, a blob lookup, a Redis round trip) with its own time limit, all at once,
// so /readyz answers within about READY_CHECK_TIMEOUT_MS even when a store hangs.
import { sql, type Kysely } from 'kysely';
import type { BlobStore } from '../storage/blobs/blob-store.ts';
import { StorageUnavailableError } from '../storage/unavailable.ts';

export const READY_CHECK_TIMEOUT_MS = 2000;

/** A named probe: resolves when the store answers, rejects (or never settles) when it does not. */
export interface ReadinessCheck {
  name: 'database' | 'blobs' | 'redis';
  probe(): Promise<void>;
}

export interface CheckResult {
  ok: boolean;
  /** Milliseconds the probe took (or the limit, when it timed out). */
  ms: number;
  /** Why it failed: an error code or "timeout", never a message that could hold a URL or password. */
  error?: string;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, CheckResult>;
  down: string[];
}

/** A key nobody writes: looking it up exercises the store without touching real images. */
const PROBE_KEY = 'readiness/probe';

export function databaseCheck<DB>(db: Kysely<DB>): ReadinessCheck {
  return { name: 'database', probe: async () => void (await sql`select 1`.execute(db)) };
}

export function blobCheck(blobs: BlobStore): ReadinessCheck {
  return {
    name: 'blobs',
    probe: async () => {
      const found = await blobs.open(PROBE_KEY);
      found?.stream.destroy();
    },
  };
}

export function redisCheck(ping: () => Promise<unknown>): ReadinessCheck {
  return { name: 'redis', probe: async () => void (await ping()) };
}

function reasonOf(err: unknown): string {
  if (err instanceof StorageUnavailableError) {
    const last = err.reason.trim().split(/\s+/).pop() ?? '';
    return /^[A-Z][A-Z0-9_]{1,39}$/.test(last) ? last : 'unreachable';
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Za-z0-9_]{1,40}$/.test(code)) return code;
  return 'error';
}

async function run(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const probe = check.probe().then(
    () => null,
    (err: unknown) => err ?? new Error('failed'),
  );
  try {
    const outcome = await Promise.race([probe, limit]);
    const ms = Math.round(performance.now() - started);
    if (outcome === 'timeout') return { ok: false, ms, error: 'timeout' };
    if (outcome !== null) return { ok: false, ms, error: reasonOf(outcome) };
    return { ok: true, ms };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkReadiness(checks: readonly ReadinessCheck[], timeoutMs = READY_CHECK_TIMEOUT_MS): Promise<Readiness> {
  const results = await Promise.all(checks.map((c) => run(c, timeoutMs)));
  const out: Readiness = { ready: true, checks: {}, down: [] };
  checks.forEach((c, i) => {
    out.checks[c.name] = results[i]!;
    if (!results[i]!.ok) {
      out.ready = false;
      out.down.push(c.name);
    }
  });
  return out;
}
