// Applies the schema migrations in order. The list is static (not read from a folder) so that
// it works the same under tsx, in a bundle and in tests. PostgreSQL runs take Kysely's
// advisory lock, so two nodes migrating at once is safe.
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as initial from './migrations/001-initial.ts';
import * as bearerTokens from './migrations/002-bearer-tokens.ts';
import * as web from './migrations/003-web.ts';
import type { Database } from './schema.ts';

const MIGRATIONS: Record<string, Migration> = {
  '001-initial': initial,
  '002-bearer-tokens': bearerTokens,
  '003-web': web,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** Brings the schema up to date; returns the names of the migrations applied now. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
