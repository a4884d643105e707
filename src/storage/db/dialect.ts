// Builds the Kysely instance for the configured engine: SQLite in the data folder by default,
// PostgreSQL when PLUMAGE_DATABASE_URL is set. Both run the same migrations and queries.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import SQLite from 'better-sqlite3';
import { createRequire } from 'node:module';
import type pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { Database } from './schema.ts';
import { StorageUnavailableError } from '../unavailable.ts';
import { postgresFastSql, sqliteFastSql, type FastSql } from './fast-sql.ts';

export interface OpenDatabase {
  db: Kysely<Database>;
  /** The engine takes row locks (SELECT … FOR UPDATE); SQLite serialises writers instead. */
  lockRows: boolean;
  /** Prepared statements for the per-request queries (fast-sql.ts), on the same connection(s). */
  fast: FastSql;
}

export function openSqlite(dataDir: string): Kysely<Database> {
  return openSqliteWithFast(dataDir).db;
}

function openSqliteWithFast(dataDir: string): { db: Kysely<Database>; fast: FastSql } {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'plumage.db');
  const sqlite = new SQLite(file);
  // WAL lets readers go on while a writer commits. NORMAL: a commit is in the WAL before its
  // answer, so it survives a crash of the process; only a power loss can roll back the last
  // commits before the next checkpoint. That is the bar for plain row updates (colours, profile
  // fields) and image switches alike. The blobs a switch replaced are deleted only after the
  // log has been flushed (FastSql.flushLog), so that a switch rolled back by a power loss
  // never points at deleted files.
  // busy_timeout covers the CLI and the server writing the same file.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  // A checkpoint (WAL → database file) costs two fsyncs and runs inside the commit that
  // triggers it, blocking the event loop; on a busy disk one fsync can take hundreds of ms.
  // Every 10,000 pages (≤ 40 MB of WAL) instead of SQLite's 1,000 makes those stalls ten
  // times rarer for the same work.
  sqlite.pragma('wal_autocheckpoint = 10000');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const database = withStatementCache(sqlite);
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database }) }), fast: sqliteFastSql(database.prepare, sqlite, database.localWrites) };
}

/**
 * Kysely prepares every query anew; preparing costs more than running these small queries, so
 * statements are kept per SQL text (Kysely's SQL is parameterised, so the set is small). The
 * driver runs one statement at a time, which makes reuse safe.
 */
function withStatementCache(sqlite: SQLite.Database, max = 256) {
  const cache = new Map<string, SQLite.Statement>();
  // Every statement Kysely and fast-sql run is prepared here first, once per execution: counting
  // the ones that write tells the credentials cache about this connection's own writes.
  let writes = 0;
  return {
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = sqlite.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(sql, stmt);
      }
      if (!stmt.readonly) writes++;
      return stmt;
    },
    localWrites: () => writes,
    close: () => sqlite.close(),
  };
}

export function openPostgres(url: string, poolSize: number, onIdleError: (err: Error) => void): Kysely<Database> {
  return openPostgresWithFast(url, poolSize, onIdleError).db;
}

function openPostgresWithFast(url: string, poolSize: number, onIdleError: (err: Error) => void): { db: Kysely<Database>; fast: FastSql } {
  // libpq falls back to the login name when the URL names no user; node-postgres reads $USER,
  // which services often lack.
  const withUser = new URL(url);
  if (!withUser.username) withUser.username = os.userInfo().username;
  // node-postgres is loaded only when PostgreSQL is configured: embedded servers skip its cost.
  const { Pool } = createRequire(import.meta.url)('pg') as typeof import('pg');
  const pool = new Pool({
    connectionString: withUser.toString(),
    max: poolSize,
    // Fail fast when PostgreSQL is down (503 / 130) instead of queueing requests; the pool
    // opens fresh connections by itself when it is back.
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30_000,
    query_timeout: 15_000,
  });
  // An idle connection dropped by the server must not crash the process.
  pool.on('error', onIdleError);
  // A connection that cannot be made is an outage of the database, said so by name (503).
  let ended = false;
  const named = {
    async connect() {
      try {
        return await pool.connect();
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new StorageUnavailableError('database', err.code ?? err.message, { cause: e });
      }
    },
    end: () => {
      ended = true;
      return pool.end();
    },
  };
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool: named }) }), fast: postgresFastSql(named.connect, () => ended) };
}

export function openDatabase(
  config: { dataDir: string; database: { url: string; poolSize: number } | null },
  onIdleError: (err: Error) => void = () => {},
): OpenDatabase {
  if (config.database) return { ...openPostgresWithFast(config.database.url, config.database.poolSize, onIdleError), lockRows: true };
  return { ...openSqliteWithFast(config.dataDir), lockRows: false };
}
