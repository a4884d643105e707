// All SQL about registered applications (consumers) and the access tokens issued to them.
import type { Kysely } from 'kysely';
import type { AccessTokenRow, AppRow, Database, UserRow } from './schema.ts';
import type { AccessToken, App, User } from '../../profile/user.ts';
import type { FastSql } from './fast-sql.ts';
import { toUser } from './users.repository.ts';

function toApp(r: AppRow): App {
  return {
    id: r.id,
    name: r.name,
    consumerKey: r.consumer_key,
    consumerSecret: r.consumer_secret,
    accessLevel: r.access_level,
    createdAt: Number(r.created_at),
  };
}

function toToken(r: AccessTokenRow): AccessToken {
  return {
    token: r.token,
    secret: r.secret,
    appId: r.app_id,
    userId: r.user_id,
    accessLevel: r.access_level,
    createdAt: Number(r.created_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}

export class AppsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(a: App): Promise<void> {
    await this.db
      .insertInto('apps')
      .values({
        id: a.id,
        name: a.name,
        consumer_key: a.consumerKey,
        consumer_secret: a.consumerSecret,
        access_level: a.accessLevel,
        created_at: a.createdAt,
      })
      .execute();
  }

  async findById(id: string): Promise<App | undefined> {
    const r = await this.db.selectFrom('apps').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toApp(r);
  }

  async findByConsumerKey(key: string): Promise<App | undefined> {
    const r = await this.db.selectFrom('apps').selectAll().where('consumer_key', '=', key).executeTakeFirst();
    return r && toApp(r);
  }

  async findByName(name: string): Promise<App | undefined> {
    const r = await this.db.selectFrom('apps').selectAll().where('name', '=', name).orderBy('id').executeTakeFirst();
    return r && toApp(r);
  }

  async list(): Promise<App[]> {
    return (await this.db.selectFrom('apps').selectAll().orderBy('id').execute()).map(toApp);
  }
}

/** What OAuth verification needs about one access token, read together. */
export interface TokenCredentials {
  token: AccessToken;
  app: App;
  /** undefined when the token's user no longer exists. */
  user: User | undefined;
}

// One statement instead of three round trips: token, its application and its user.
const CREDENTIALS_SQL = `SELECT t.token AS t_token, t.secret AS t_secret, t.app_id AS t_app_id, t.user_id AS t_user_id,
  t.access_level AS t_access_level, t.created_at AS t_created_at, t.revoked_at AS t_revoked_at,
  a.id AS a_id, a.name AS a_name, a.consumer_key AS a_consumer_key, a.consumer_secret AS a_consumer_secret,
  a.access_level AS a_access_level, a.created_at AS a_created_at, u.*
FROM access_tokens t JOIN apps a ON a.id = t.app_id LEFT JOIN users u ON u.id = t.user_id
WHERE t.token = ?`;

type CredentialsRow = { [K in keyof AccessTokenRow as `t_${K}`]: AccessTokenRow[K] } & { [K in keyof AppRow as `a_${K}`]: AppRow[K] } & {
  [K in keyof UserRow]: UserRow[K] | null;
};

function credentialsFromRow(r: CredentialsRow): TokenCredentials {
  return {
    token: toToken({ token: r.t_token, secret: r.t_secret, app_id: r.t_app_id, user_id: r.t_user_id, access_level: r.t_access_level, created_at: r.t_created_at, revoked_at: r.t_revoked_at }),
    app: toApp({ id: r.a_id, name: r.a_name, consumer_key: r.a_consumer_key, consumer_secret: r.a_consumer_secret, access_level: r.a_access_level, created_at: r.a_created_at }),
    user: r.id === null ? undefined : toUser(r as UserRow),
  };
}

export class TokensRepository {
  constructor(private readonly db: Kysely<Database>, private readonly fast: FastSql | null = null) {}

  /**
   * The token with its application and user, read fresh from the database on every call (no
   * cache), so a revocation by any process or node takes effect at the next request.
   */
  async findCredentials(token: string): Promise<TokenCredentials | undefined> {
    const cache = this.fast?.credentials;
    if (cache && this.fast?.rowsNow) {
      // SQLite: from memory unless anything was committed since (credentials-cache.ts); the
      // check, the query and the store happen in one synchronous step.
      const hit = cache.get(token);
      if (hit) return hit;
      const [r] = this.fast.rowsNow<CredentialsRow>(CREDENTIALS_SQL, [token]);
      if (!r) return undefined;
      const found = credentialsFromRow(r);
      cache.set(token, found);
      return found;
    }
    if (this.fast) {
      const [r] = await this.fast.rows<CredentialsRow>(CREDENTIALS_SQL, [token]);
      return r && credentialsFromRow(r);
    }
    const t = await this.find(token);
    if (!t) return undefined;
    const a = await this.db.selectFrom('apps').selectAll().where('id', '=', t.appId).executeTakeFirst();
    if (!a) return undefined;
    const u = await this.db.selectFrom('users').selectAll().where('id', '=', t.userId).executeTakeFirst();
    return { token: t, app: toApp(a), user: u && toUser(u) };
  }

  async insert(t: AccessToken): Promise<void> {
    await this.db
      .insertInto('access_tokens')
      .values({
        token: t.token,
        secret: t.secret,
        app_id: t.appId,
        user_id: t.userId,
        access_level: t.accessLevel,
        created_at: t.createdAt,
        revoked_at: t.revokedAt,
      })
      .execute();
  }

  async find(token: string): Promise<AccessToken | undefined> {
    const r = await this.db.selectFrom('access_tokens').selectAll().where('token', '=', token).executeTakeFirst();
    return r && toToken(r);
  }

  /** An unrevoked token of this app for this user, if one exists. */
  async findActive(appId: string, userId: string): Promise<AccessToken | undefined> {
    const r = await this.db
      .selectFrom('access_tokens')
      .selectAll()
      .where('app_id', '=', appId)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    return r && toToken(r);
  }

  /** Returns false when no unrevoked token had that value. */
  async revoke(token: string, at: number): Promise<boolean> {
    const res = await this.db
      .updateTable('access_tokens')
      .set({ revoked_at: at })
      .where('token', '=', token)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }
}

/** App-only bearer tokens (OAuth 2 client credentials). */
export class BearerTokensRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(token: string, appId: string, at: number): Promise<void> {
    await this.db.insertInto('bearer_tokens').values({ token, app_id: appId, created_at: at, revoked_at: null }).execute();
  }

  /** The app's unrevoked token, if it has one. */
  async findActiveForApp(appId: string): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('bearer_tokens')
      .select('token')
      .where('app_id', '=', appId)
      .where('revoked_at', 'is', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    return r?.token;
  }

  /** The app id of an unrevoked token. */
  async findApp(token: string): Promise<string | undefined> {
    const r = await this.db.selectFrom('bearer_tokens').select('app_id').where('token', '=', token).where('revoked_at', 'is', null).executeTakeFirst();
    return r?.app_id;
  }

  async revoke(token: string, appId: string, at: number): Promise<boolean> {
    const res = await this.db
      .updateTable('bearer_tokens')
      .set({ revoked_at: at })
      .where('token', '=', token)
      .where('app_id', '=', appId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }
}
