// Table shapes as Kysely sees them. Ids are decimal strings (see ids.ts); booleans are 0/1
// integers because SQLite has no boolean type and better-sqlite3 cannot bind JS booleans.
// Times are milliseconds since the epoch; PostgreSQL hands bigint back as a string, so
// repositories convert with Number() when they map rows.
import type { Generated, Insertable, Selectable } from 'kysely';

export interface UsersTable {
  id: string;
  screen_name: string;
  /** Lower-cased screen_name: handles are unique regardless of case, as on Twitter. */
  screen_name_key: string;
  name: string;
  description: string;
  location: string;
  url: string | null;
  email: string | null;
  created_at: number | string;
  profile_background_color: string;
  profile_link_color: string;
  profile_sidebar_border_color: string;
  profile_sidebar_fill_color: string;
  profile_text_color: string;
  profile_background_tile: number;
  profile_use_background_image: number;
  /** Blob path of the current avatar original, e.g. "1851...123/aB3x.png"; null = default. */
  profile_image: string | null;
  profile_background_image: string | null;
  /** Path of the current banner: "<user id>/<unix seconds>"; null = none. */
  profile_banner: string | null;
  protected: Generated<number>;
  verified: Generated<number>;
}

export interface AppsTable {
  id: string;
  name: string;
  consumer_key: string;
  consumer_secret: string;
  access_level: 'read' | 'read-write';
  created_at: number | string;
}

export interface AccessTokensTable {
  token: string;
  secret: string;
  app_id: string;
  user_id: string;
  access_level: 'read' | 'read-write';
  created_at: number | string;
  revoked_at: number | string | null;
}

export interface BearerTokensTable {
  token: string;
  app_id: string;
  created_at: number | string;
  revoked_at: number | string | null;
}

export interface Database {
  users: UsersTable;
  apps: AppsTable;
  access_tokens: AccessTokensTable;
  bearer_tokens: BearerTokensTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type AppRow = Selectable<AppsTable>;
export type AccessTokenRow = Selectable<AccessTokensTable>;
