// All SQL of the web pages and the three-legged flow (tables of migration 003-web).
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/db/schema.ts';
import type { WebDatabase } from './web.schema.ts';
import type { AccessLevel } from '../profile/user.ts';

export interface SessionRow {
  userId: string;
  csrfToken: string;
  expiresAt: number;
}

export interface RequestToken {
  token: string;
  secret: string;
  appId: string;
  callback: string;
  accessLevel: AccessLevel;
  userId: string | null;
  verifier: string | null;
  createdAt: number;
  expiresAt: number;
}

export interface AuthorisedApp {
  appId: string;
  name: string;
  accessLevel: AccessLevel;
  /** When the user first allowed it (oldest active token). */
  since: number;
}

export function sha256Hex(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex');
}

export class WebRepository {
  private readonly db: Kysely<WebDatabase>;

  constructor(db: Kysely<Database>) {
    // Same connection; the web tables are declared in web.schema.ts.
    this.db = db as unknown as Kysely<WebDatabase>;
  }

  // --- passwords ---
  async setPasswordHash(userId: string, hash: string, at: number): Promise<void> {
    await this.db
      .insertInto('user_passwords')
      .values({ user_id: userId, hash, updated_at: at })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ hash, updated_at: at }))
      .execute();
  }

  async passwordHash(userId: string): Promise<string | undefined> {
    const r = await this.db.selectFrom('user_passwords').select('hash').where('user_id', '=', userId).executeTakeFirst();
    return r?.hash;
  }

  // --- sessions ---
  async insertSession(idHash: string, userId: string, csrfToken: string, at: number, expiresAt: number): Promise<void> {
    await this.db.insertInto('web_sessions').values({ id_hash: idHash, user_id: userId, csrf_token: csrfToken, created_at: at, expires_at: expiresAt }).execute();
  }

  async findSession(idHash: string, now: number): Promise<SessionRow | undefined> {
    const r = await this.db
      .selectFrom('web_sessions')
      .select(['user_id', 'csrf_token', 'expires_at'])
      .where('id_hash', '=', idHash)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return r && { userId: r.user_id, csrfToken: r.csrf_token, expiresAt: Number(r.expires_at) };
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.db.deleteFrom('web_sessions').where('id_hash', '=', idHash).execute();
  }

  async deleteSessionsOf(userId: string): Promise<void> {
    await this.db.deleteFrom('web_sessions').where('user_id', '=', userId).execute();
  }

  async deleteExpiredSessions(now: number): Promise<void> {
    await this.db.deleteFrom('web_sessions').where('expires_at', '<=', now).execute();
  }

  // --- request tokens ---
  async insertRequestToken(t: RequestToken): Promise<void> {
    await this.db
      .insertInto('request_tokens')
      .values({
        token: t.token,
        secret: t.secret,
        app_id: t.appId,
        callback: t.callback,
        access_level: t.accessLevel,
        user_id: t.userId,
        verifier: t.verifier,
        created_at: t.createdAt,
        expires_at: t.expiresAt,
      })
      .execute();
  }

  async findRequestToken(token: string, now: number): Promise<RequestToken | undefined> {
    const r = await this.db.selectFrom('request_tokens').selectAll().where('token', '=', token).where('expires_at', '>', now).executeTakeFirst();
    return r && toRequestToken(r);
  }

  /** Marks a pending token as allowed by userId; false when it was already decided or expired. */
  async approveRequestToken(token: string, userId: string, verifier: string, now: number): Promise<boolean> {
    const res = await this.db
      .updateTable('request_tokens')
      .set({ user_id: userId, verifier })
      .where('token', '=', token)
      .where('user_id', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Deletes the token and returns it as it was: only one caller can ever get it. */
  async takeRequestToken(token: string): Promise<RequestToken | undefined> {
    const r = await this.db.deleteFrom('request_tokens').where('token', '=', token).returningAll().executeTakeFirst();
    return r && toRequestToken(r);
  }

  async deleteExpiredRequestTokens(now: number): Promise<void> {
    await this.db.deleteFrom('request_tokens').where('expires_at', '<=', now).execute();
  }

  // --- application callbacks ---
  async setCallback(appId: string, url: string): Promise<void> {
    await this.db
      .insertInto('app_callbacks')
      .values({ app_id: appId, callback_url: url })
      .onConflict((oc) => oc.column('app_id').doUpdateSet({ callback_url: url }))
      .execute();
  }

  async callback(appId: string): Promise<string | undefined> {
    const r = await this.db.selectFrom('app_callbacks').select('callback_url').where('app_id', '=', appId).executeTakeFirst();
    return r?.callback_url;
  }

  // --- authorised applications ---
  async authorisedApps(userId: string): Promise<AuthorisedApp[]> {
    const rows = await this.db
      .selectFrom('access_tokens')
      .innerJoin('apps', 'apps.id', 'access_tokens.app_id')
      .select(['apps.id as app_id', 'apps.name as name', 'access_tokens.access_level as access_level', 'access_tokens.created_at as created_at'])
      .where('access_tokens.user_id', '=', userId)
      .where('access_tokens.revoked_at', 'is', null)
      .orderBy('access_tokens.created_at')
      .execute();
    const byApp = new Map<string, AuthorisedApp>();
    for (const r of rows) {
      const prev = byApp.get(r.app_id);
      const level = prev?.accessLevel === 'read-write' || r.access_level === 'read-write' ? 'read-write' : 'read';
      byApp.set(r.app_id, { appId: r.app_id, name: r.name, accessLevel: level, since: prev?.since ?? Number(r.created_at) });
    }
    return [...byApp.values()];
  }

  /** Revokes every active token of the app for the user; returns how many. */
  async revokeApp(userId: string, appId: string, at: number): Promise<number> {
    const res = await this.db
      .updateTable('access_tokens')
      .set({ revoked_at: at })
      .where('user_id', '=', userId)
      .where('app_id', '=', appId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }
}

function toRequestToken(r: {
  token: string; secret: string; app_id: string; callback: string; access_level: AccessLevel;
  user_id: string | null; verifier: string | null; created_at: number | string; expires_at: number | string;
}): RequestToken {
  return {
    token: r.token,
    secret: r.secret,
    appId: r.app_id,
    callback: r.callback,
    accessLevel: r.access_level,
    userId: r.user_id,
    verifier: r.verifier,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
  };
}
