// Prepared statements for the few queries every API request runs (credentials, the user row,
// the field-level update), without Kysely's per-call query building, which measured several
// times the cost of running these small statements. SQL is written once per statement with
// `?` placeholders and is the same text on both engines (SQLite ≥ 3.35 and PostgreSQL both
// know UPDATE … RETURNING). Everything else keeps using Kysely.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type SQLite from 'better-sqlite3';
import type pg from 'pg';
import { CredentialsCache } from './credentials-cache.ts';
import { fsyncFd } from '../flush.ts';

export interface FastSql {
  readonly engine: 'sqlite' | 'postgres';
  /** Runs one statement on its own (autocommit) and returns its rows; `?` placeholders. */
  rows<T>(sql: string, params: readonly unknown[]): Promise<T[]>;
  /**
   * SQLite only: runs `fn` in one synchronous transaction (nothing else can interleave, since
   * better-sqlite3 is synchronous); `null` on PostgreSQL, where callers use Kysely's.
   */
  readonly syncTransaction: (<T>(fn: (run: <R>(sql: string, params: readonly unknown[]) => R[]) => T) => T) | null;
  /**
   * SQLite only: flushes the write-ahead log to disk on libuv's thread pool, so that every
   * commit made before the call survives a power loss. The connection runs synchronous =
   * NORMAL: a commit is written to the log (it survives a crash of the process) but not
   * flushed. This is the flush synchronous = FULL would make inside the commit, blocking the
   * event loop; a checkpoint that moved the commits into the database file in between has
   * flushed that file itself.
   */
  readonly flushLog: (() => Promise<void>) | null;
  /** SQLite only: `rows` without the promise, for callers that must act in the same step. */
  readonly rowsNow: (<T>(sql: string, params: readonly unknown[]) => T[]) | null;
  /** SQLite only: credentials kept between requests, checked against every commit (credentials-cache.ts). */
  readonly credentials: CredentialsCache | null;
  /**
   * SQLite only: group commit. `fn` runs with the other writes queued in the same turn of the
   * event loop, in one transaction; the promise settles once that transaction has committed
   * (with fn's result, or fn's own error; if the commit fails, every write of the group fails).
   * One commit costs the same file locks and log writes whether it holds one update or thirty.
   */
  readonly batchedWrite: (<T>(fn: (run: Run, change: Change) => T) => Promise<T>) | null;
}

type Run = <R>(sql: string, params: readonly unknown[]) => R[];
/** Runs one write statement without RETURNING; the number of rows it changed. */
type Change = (sql: string, params: readonly unknown[]) => number;

interface QueuedWrite {
  fn: (run: Run, change: Change) => unknown;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** The group commit of batchedWrite: writes queued during one turn commit together at its end. */
function groupCommit(sqlite: SQLite.Database, run: Run, change: Change, onFailedCommit: () => void) {
  let queue: QueuedWrite[] = [];
  type Result = { ok: true; value: unknown } | { ok: false; error: unknown };
  // Made once: better-sqlite3 builds a wrapper per transaction() call.
  const commitGroup = sqlite.transaction((group: QueuedWrite[], results: Result[]) => {
    for (const w of group) {
      // A statement that fails leaves the others standing (SQLite undoes just that statement).
      try {
        results.push({ ok: true, value: w.fn(run, change) });
      } catch (error) {
        results.push({ ok: false, error });
      }
    }
  });
  const flush = () => {
    const group = queue;
    queue = [];
    const results: Result[] = [];
    try {
      commitGroup.immediate(group, results);
    } catch (error) {
      // Nothing of the group is committed (BEGIN or COMMIT failed, or SQLite rolled it back).
      onFailedCommit();
      for (const w of group) w.reject(error);
      return;
    }
    group.forEach((w, i) => {
      const r = results[i]!;
      if (r.ok) w.resolve(r.value);
      else w.reject(r.error);
    });
  };
  return <T>(fn: (run: Run, change: Change) => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
    });
}

/** One better-sqlite3 connection with a statement cache (shared with Kysely's dialect). */
export function sqliteFastSql(prepare: (sql: string) => SQLite.Statement, sqlite: SQLite.Database, localWrites: () => number): FastSql {
  // Statements that return rows, in raw mode (each row an array): better-sqlite3 makes an
  // object row by looking up every column name in V8's string table, which for a user row
  // cost more than running the UPDATE … RETURNING. The objects are made here instead, with
  // the column names read once. Their own statements: raw() changes a statement for all its
  // users, and Kysely shares the cached ones.
  const readers = new Map<string, { stmt: SQLite.Statement; columns: string[] }>();
  const run = <R>(sql: string, params: readonly unknown[]): R[] => {
    // Prepared through the shared cache even when the raw copy runs: that counts the writes.
    const stmt = prepare(sql);
    if (!stmt.reader) {
      stmt.run(...params);
      return [];
    }
    let reader = readers.get(sql);
    if (reader === undefined) {
      const raw = sqlite.prepare(sql).raw(true);
      reader = { stmt: raw, columns: raw.columns().map((c) => c.name) };
      if (readers.size >= 256) readers.delete(readers.keys().next().value!);
      readers.set(sql, reader);
    }
    const { columns } = reader;
    const rows = reader.stmt.all(...params) as unknown[][];
    const out = new Array<R>(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const values = rows[r]!;
      const row: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i++) row[columns[i]!] = values[i];
      out[r] = row as R;
    }
    return out;
  };
  // Through the shared cache, which counts the write.
  const change: Change = (sql, params) => prepare(sql).run(...params).changes;
  // Its own statement (pluck() changes a statement for every user of it).
  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck();
  const credentials = new CredentialsCache({ dataVersion: () => dataVersion.get() as number, localWrites });
  return {
    engine: 'sqlite',
    // Synchronous underneath; async only to share the interface with PostgreSQL.
    rows: async <T>(sql: string, params: readonly unknown[]) => run<T>(sql, params),
    rowsNow: run,
    credentials,
    // Rows the group told the cache about were not committed after all.
    batchedWrite: groupCommit(sqlite, run, change, () => credentials.clear()),
    syncTransaction: <T>(fn: (r: typeof run) => T): T => sqlite.transaction(() => fn(run)).immediate(),
    flushLog: () => flushFile(`${sqlite.name}-wal`),
  };
}

/**
 * fsync of a file by name; a file that is not there has nothing to flush. The open and close
 * are synchronous (they do not wait for the disk, and each would otherwise be a trip through
 * libuv's thread pool); the flush is not.
 */
async function flushFile(file: string): Promise<void> {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    await fsyncFd(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * node-postgres with named prepared statements: each connection parses a statement once, then
 * only binds and executes it. `connect` is the pool's connect that names outages (503);
 * `closed` tells that the pool was ended on purpose.
 */
export function postgresFastSql(connect: () => Promise<pg.PoolClient>, closed: () => boolean): FastSql {
  const texts = new Map<string, { name: string; text: string }>();
  const toPg = (sql: string) => {
    let t = texts.get(sql);
    if (!t) {
      let i = 0;
      const text = sql.replace(/\?/g, () => `$${++i}`);
      t = { name: `plumage_${crypto.createHash('sha1').update(text).digest('hex').slice(0, 16)}`, text };
      texts.set(sql, t);
    }
    return t;
  };
  return {
    engine: 'postgres',
    async rows<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
      // After close() this is a bug of the caller, not an outage (as with Kysely's queries).
      if (closed()) throw new Error('the database has been closed');
      const { name, text } = toPg(sql);
      const client = await connect();
      let res: pg.QueryResult;
      try {
        res = await client.query({ name, text, values: params as unknown[] });
      } catch (e) {
        // A broken connection must not go back to the pool; a failed statement leaves it fine.
        client.release((e as { code?: string }).code === undefined ? (e as Error) : undefined);
        throw e;
      }
      client.release();
      return res.rows as T[];
    },
    syncTransaction: null,
    flushLog: null,
    rowsNow: null,
    credentials: null,
    batchedWrite: null,
  };
}
