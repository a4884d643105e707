// Tells a storage outage (PostgreSQL, Redis or the object store cannot be reached) from a bug.
// Outages are answered 503 / 130 "Over capacity" and logged in one clear line; service resumes
// by itself because every adapter reconnects on demand.

/** Thrown by adapters that detect an outage themselves (Redis, S3). */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
  constructor(readonly store: 'database' | 'redis' | 'blobs', readonly reason: string, options?: { cause?: unknown }) {
    super(`${store} unavailable: ${reason}`, options);
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
// PostgreSQL SQLSTATE classes 08 (connection exception) and 57P (operator intervention:
// shutdown, cannot connect now), and 53300 (too many connections).
const PG_STATES = /^(08...|57P0[1-4]|53300)$/;
const PG_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)/i;

/** Which store an error says is unreachable, or null when it is not an outage. */
export function storageOutage(err: unknown): string | null {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof StorageUnavailableError) return e.store;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && PG_STATES.test(code)) return 'database';
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code === 'SQLITE_BUSY')) return code === 'SQLITE_BUSY' ? 'database' : 'storage';
    if (PG_MESSAGES.test(e.message)) return 'database';
  }
  return null;
}
