// Users, apps and access tokens: what OAuth 1.0a user context and the v1.1 user object need.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'varchar(20)', (c) => c.primaryKey())
    .addColumn('screen_name', 'varchar(64)', (c) => c.notNull())
    .addColumn('screen_name_key', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('url', 'text')
    .addColumn('email', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('profile_background_color', 'varchar(6)', (c) => c.notNull())
    .addColumn('profile_link_color', 'varchar(6)', (c) => c.notNull())
    .addColumn('profile_sidebar_border_color', 'varchar(6)', (c) => c.notNull())
    .addColumn('profile_sidebar_fill_color', 'varchar(6)', (c) => c.notNull())
    .addColumn('profile_text_color', 'varchar(6)', (c) => c.notNull())
    .addColumn('profile_background_tile', 'integer', (c) => c.notNull())
    .addColumn('profile_use_background_image', 'integer', (c) => c.notNull())
    .addColumn('profile_image', 'text')
    .addColumn('profile_background_image', 'text')
    .addColumn('profile_banner', 'text')
    .addColumn('protected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('verified', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('apps')
    .addColumn('id', 'varchar(20)', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('consumer_key', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('consumer_secret', 'varchar(128)', (c) => c.notNull())
    .addColumn('access_level', 'varchar(16)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('access_tokens')
    .addColumn('token', 'varchar(128)', (c) => c.primaryKey())
    .addColumn('secret', 'varchar(128)', (c) => c.notNull())
    .addColumn('app_id', 'varchar(20)', (c) => c.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('user_id', 'varchar(20)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('access_level', 'varchar(16)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('access_tokens_app_user').on('access_tokens').columns(['app_id', 'user_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('access_tokens').execute();
  await db.schema.dropTable('apps').execute();
  await db.schema.dropTable('users').execute();
}
