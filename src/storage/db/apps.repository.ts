// All SQL about registered applications (consumers) and the access tokens issued to them.
import type { Kysely } from 'kysely';
import type { AccessTokenRow, AppRow, Database } from './schema.ts';
import type { AccessToken, App } from '../../profile/user.ts';

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

export class TokensRepository {
  constructor(private readonly db: Kysely<Database>) {}

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
