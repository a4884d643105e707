// App-only (OAuth 2 client credentials) bearer tokens: one active token per app, as on
// Twitter ("the same token until invalidated").
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('bearer_tokens')
    .addColumn('token', 'varchar(160)', (c) => c.primaryKey())
    .addColumn('app_id', 'varchar(20)', (c) => c.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('bearer_tokens_app').on('bearer_tokens').column('app_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('bearer_tokens').execute();
}
