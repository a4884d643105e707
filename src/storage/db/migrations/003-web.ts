// The web pages and the OAuth 1.0a three-legged flow: passwords, browser sessions, request
// tokens, and the callback URL an application registered.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('user_passwords')
    .addColumn('user_id', 'varchar(20)', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    /** "scrypt$<N>$<r>$<p>$<salt b64>$<hash b64>" */
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('web_sessions')
    // SHA-256 of the cookie value: a leaked table does not hand out sessions.
    .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(20)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('csrf_token', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('web_sessions_user').on('web_sessions').column('user_id').execute();

  await db.schema
    .createTable('request_tokens')
    .addColumn('token', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('secret', 'varchar(128)', (c) => c.notNull())
    .addColumn('app_id', 'varchar(20)', (c) => c.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('callback', 'text', (c) => c.notNull())
    .addColumn('access_level', 'varchar(16)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(20)', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('verifier', 'varchar(64)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('app_callbacks')
    .addColumn('app_id', 'varchar(20)', (c) => c.primaryKey().references('apps.id').onDelete('cascade'))
    .addColumn('callback_url', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('app_callbacks').execute();
  await db.schema.dropTable('request_tokens').execute();
  await db.schema.dropTable('web_sessions').execute();
  await db.schema.dropTable('user_passwords').execute();
}
