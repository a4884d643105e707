// Builds the Kysely instance for the configured engine: SQLite in the data folder by default.
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.ts';

export function openSqlite(dataDir: string): Kysely<Database> {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'plumage.db');
  const sqlite = new SQLite(file);
  // WAL lets readers go on while a writer commits; NORMAL is durable across process crashes
  // in WAL mode. busy_timeout covers the CLI and the server writing the same file.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
}
