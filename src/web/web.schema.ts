// Table shapes of migration 003-web, as Kysely sees them. Kept beside the web code (not in
// storage/db/schema.ts) so that the tables the web pages own stay in one place.
import type { Database } from '../storage/db/schema.ts';

export interface UserPasswordsTable {
  user_id: string;
  hash: string;
  updated_at: number | string;
}

export interface WebSessionsTable {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: number | string;
  expires_at: number | string;
}

export interface RequestTokensTable {
  token: string;
  secret: string;
  app_id: string;
  /** An http(s) URL or "oob". */
  callback: string;
  access_level: 'read' | 'read-write';
  /** Set when the user allowed the application. */
  user_id: string | null;
  verifier: string | null;
  created_at: number | string;
  expires_at: number | string;
}

export interface AppCallbacksTable {
  app_id: string;
  callback_url: string;
}

export interface WebDatabase extends Database {
  user_passwords: UserPasswordsTable;
  web_sessions: WebSessionsTable;
  request_tokens: RequestTokensTable;
  app_callbacks: AppCallbacksTable;
}
