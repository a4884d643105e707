// Builds the Kysely instance for the configured engine: SQLite in the data folder by default,
// PostgreSQL when PLUMAGE_DATABASE_URL is set. Both run the same migrations and queries.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { Database } from './schema.ts';
import { StorageUnavailableError } from '../unavailable.ts';

export interface OpenDatabase {
  db: Kysely<Database>;
  /** The engine takes row locks (SELECT … FOR UPDATE); SQLite serialises writers instead. */
  lockRows: boolean;
}

export function openSqlite(dataDir: string): Kysely<Database> {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'plumage.db');
  const sqlite = new SQLite(file);
  // WAL lets readers go on while a writer commits. FULL flushes the log at every commit: with
  // NORMAL a commit survives a process crash but may roll back on power loss, and a rolled-back
  // image switch would point at blobs already deleted as replaced. An acknowledged update is
  // on disk. busy_timeout covers the CLI and the server writing the same file.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
}

/**
 * Kysely prepares every query anew; preparing costs more than running these small queries, so
 * statements are kept per SQL text (Kysely's SQL is parameterised, so the set is small). The
 * driver runs one statement at a time, which makes reuse safe.
 */
function withStatementCache(sqlite: SQLite.Database, max = 256) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = sqlite.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(sql, stmt);
      }
      return stmt;
    },
    close: () => sqlite.close(),
  };
}

export function openPostgres(url: string, poolSize: number, onIdleError: (err: Error) => void): Kysely<Database> {
  // libpq falls back to the login name when the URL names no user; node-postgres reads $USER,
  // which services often lack.
  const withUser = new URL(url);
  if (!withUser.username) withUser.username = os.userInfo().username;
  const pool = new pg.Pool({
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
  const named = {
    async connect() {
      try {
        return await pool.connect();
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new StorageUnavailableError('database', err.code ?? err.message, { cause: e });
      }
    },
    end: () => pool.end(),
  };
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: named }) });
}

export function openDatabase(
  config: { dataDir: string; database: { url: string; poolSize: number } | null },
  onIdleError: (err: Error) => void = () => {},
): OpenDatabase {
  if (config.database) return { db: openPostgres(config.database.url, config.database.poolSize, onIdleError), lockRows: true };
  return { db: openSqlite(config.dataDir), lockRows: false };
}
