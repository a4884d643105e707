// All SQL about users. Updates name only the columns they change (DESIGN rule 6), so a colour
// update racing an image upload cannot undo it.
import type { Kysely, Updateable } from 'kysely';
import type { Database, UserRow, UsersTable } from './schema.ts';
import type { User } from '../../profile/user.ts';
import type { FastSql } from './fast-sql.ts';

export type UserPatch = Partial<
  Pick<User, 'name' | 'description' | 'location' | 'url' | 'email' | 'backgroundTile' | 'useBackgroundImage' | 'profileImage' | 'backgroundImage' | 'banner'>
> & { colours?: Partial<User['colours']> };

export function toUser(r: UserRow): User {
  return {
    id: r.id,
    screenName: r.screen_name,
    name: r.name,
    description: r.description,
    location: r.location,
    url: r.url,
    email: r.email,
    createdAt: Number(r.created_at),
    colours: {
      background: r.profile_background_color,
      link: r.profile_link_color,
      sidebarBorder: r.profile_sidebar_border_color,
      sidebarFill: r.profile_sidebar_fill_color,
      text: r.profile_text_color,
    },
    backgroundTile: r.profile_background_tile === 1,
    useBackgroundImage: r.profile_use_background_image === 1,
    profileImage: r.profile_image,
    backgroundImage: r.profile_background_image,
    banner: r.profile_banner,
    protected: Number(r.protected) === 1,
    verified: Number(r.verified) === 1,
  };
}

function toColumns(p: UserPatch): Updateable<UsersTable> {
  const c: Updateable<UsersTable> = {};
  if (p.name !== undefined) c.name = p.name;
  if (p.description !== undefined) c.description = p.description;
  if (p.location !== undefined) c.location = p.location;
  if (p.url !== undefined) c.url = p.url;
  if (p.email !== undefined) c.email = p.email;
  if (p.backgroundTile !== undefined) c.profile_background_tile = p.backgroundTile ? 1 : 0;
  if (p.useBackgroundImage !== undefined) c.profile_use_background_image = p.useBackgroundImage ? 1 : 0;
  if (p.profileImage !== undefined) c.profile_image = p.profileImage;
  if (p.backgroundImage !== undefined) c.profile_background_image = p.backgroundImage;
  if (p.banner !== undefined) c.profile_banner = p.banner;
  const k = p.colours;
  if (k?.background !== undefined) c.profile_background_color = k.background;
  if (k?.link !== undefined) c.profile_link_color = k.link;
  if (k?.sidebarBorder !== undefined) c.profile_sidebar_border_color = k.sidebarBorder;
  if (k?.sidebarFill !== undefined) c.profile_sidebar_fill_color = k.sidebarFill;
  if (k?.text !== undefined) c.profile_text_color = k.text;
  return c;
}

const given = <T>(value: T | undefined, old: T): T => (value === undefined ? old : value);

/**
 * The user as toUser would read it back after the UPDATE of toColumns(p): every field the patch
 * names takes its value (the columns store exactly what they are given), the others stay.
 */
function patched(u: User, p: UserPatch): User {
  const k = p.colours;
  return {
    id: u.id,
    screenName: u.screenName,
    name: given(p.name, u.name),
    description: given(p.description, u.description),
    location: given(p.location, u.location),
    url: given(p.url, u.url),
    email: given(p.email, u.email),
    createdAt: u.createdAt,
    colours: k === undefined ? u.colours : {
      background: given(k.background, u.colours.background),
      link: given(k.link, u.colours.link),
      sidebarBorder: given(k.sidebarBorder, u.colours.sidebarBorder),
      sidebarFill: given(k.sidebarFill, u.colours.sidebarFill),
      text: given(k.text, u.colours.text),
    },
    backgroundTile: given(p.backgroundTile, u.backgroundTile),
    useBackgroundImage: given(p.useBackgroundImage, u.useBackgroundImage),
    profileImage: given(p.profileImage, u.profileImage),
    backgroundImage: given(p.backgroundImage, u.backgroundImage),
    banner: given(p.banner, u.banner),
    protected: u.protected,
    verified: u.verified,
  };
}

/** `UPDATE users SET … WHERE id = ?` for the given columns (names from toColumns, never input). */
function updateSql(cols: Updateable<UsersTable>, id: string): [string, unknown[]] {
  const names = Object.keys(cols) as Array<keyof UsersTable>;
  const sql = `UPDATE users SET ${names.map((n) => `"${n}" = ?`).join(', ')} WHERE id = ?`;
  return [sql, [...names.map((n) => cols[n]), id]];
}

export class UsersRepository {
  /**
   * lockRows: the engine knows SELECT … FOR UPDATE (PostgreSQL); SQLite serialises writers anyway.
   * fast: prepared statements for the reads and updates every request makes (else Kysely).
   */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly lockRows = false,
    private readonly fast: FastSql | null = null,
  ) {}

  async insert(u: User): Promise<void> {
    await this.db
      .insertInto('users')
      .values({
        id: u.id,
        screen_name: u.screenName,
        screen_name_key: u.screenName.toLowerCase(),
        name: u.name,
        description: u.description,
        location: u.location,
        url: u.url,
        email: u.email,
        created_at: u.createdAt,
        profile_background_color: u.colours.background,
        profile_link_color: u.colours.link,
        profile_sidebar_border_color: u.colours.sidebarBorder,
        profile_sidebar_fill_color: u.colours.sidebarFill,
        profile_text_color: u.colours.text,
        profile_background_tile: u.backgroundTile ? 1 : 0,
        profile_use_background_image: u.useBackgroundImage ? 1 : 0,
        profile_image: u.profileImage,
        profile_background_image: u.backgroundImage,
        profile_banner: u.banner,
      })
      .execute();
  }

  async findById(id: string): Promise<User | undefined> {
    if (this.fast) {
      const [row] = await this.fast.rows<UserRow>('SELECT * FROM users WHERE id = ?', [id]);
      return row && toUser(row);
    }
    const r = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toUser(r);
  }

  async findByScreenName(screenName: string): Promise<User | undefined> {
    if (this.fast) {
      const [row] = await this.fast.rows<UserRow>('SELECT * FROM users WHERE screen_name_key = ?', [screenName.toLowerCase()]);
      return row && toUser(row);
    }
    const r = await this.db
      .selectFrom('users')
      .selectAll()
      .where('screen_name_key', '=', screenName.toLowerCase())
      .executeTakeFirst();
    return r && toUser(r);
  }

  async list(): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('id').execute();
    return rows.map(toUser);
  }

  /** Changes only the given columns in one statement; returns the user as it is afterwards. */
  async update(id: string, patch: UserPatch): Promise<User | undefined> {
    const cols = toColumns(patch);
    if (Object.keys(cols).length === 0) return this.findById(id);
    const fast = this.fast;
    if (fast?.batchedWrite) {
      // SQLite: committed together with the other updates of this turn (group commit); the
      // credentials cache learns the new row in the same synchronous step as the statement.
      const [sql, params] = updateSql(cols, id);
      return fast.batchedWrite((run, change) => {
        // The row the cache holds is the row as it is now (the write lock is held): the new row
        // is that one with the patch, and reading it back (RETURNING *, then a JS value for
        // each of its columns) would cost more than the whole UPDATE.
        const known = fast.credentials?.currentUser(id);
        if (known !== undefined) {
          const user = change(sql, params) === 1 ? patched(known, patch) : undefined;
          fast.credentials!.userWritten(user, id);
          return user;
        }
        const [row] = run<UserRow>(`${sql} RETURNING *`, params);
        const user = row && toUser(row);
        fast.credentials?.userWritten(user, id);
        return user;
      });
    }
    if (this.fast) {
      const [sql, params] = updateSql(cols, id);
      const [row] = await this.fast.rows<UserRow>(`${sql} RETURNING *`, params);
      return row && toUser(row);
    }
    const r = await this.db.updateTable('users').set(cols).where('id', '=', id).returningAll().executeTakeFirst();
    return r && toUser(r);
  }

  /**
   * Changes the given columns and returns the row as it was just before, in one transaction:
   * the caller learns exactly which blobs its switch replaced, even under concurrent uploads.
   */
  async updateReturningPrevious(id: string, patch: UserPatch): Promise<{ before: User; after: User } | undefined> {
    if (this.fast?.syncTransaction) {
      // SQLite: one synchronous transaction, so no other statement can slip in between.
      const [sql, params] = updateSql(toColumns(patch), id);
      const res = this.fast.syncTransaction((run) => {
        const [before] = run<UserRow>('SELECT * FROM users WHERE id = ?', [id]);
        if (!before) return undefined;
        const [after] = run<UserRow>(`${sql} RETURNING *`, params);
        return { before: toUser(before), after: toUser(after!) };
      });
      this.fast.credentials?.userWritten(res?.after, id);
      return res;
    }
    return this.db.transaction().execute(async (trx) => {
      let q = trx.selectFrom('users').selectAll().where('id', '=', id);
      if (this.lockRows) q = q.forUpdate();
      const before = await q.executeTakeFirst();
      if (!before) return undefined;
      const after = await trx.updateTable('users').set(toColumns(patch)).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
      return { before: toUser(before), after: toUser(after) };
    });
  }

  /**
   * Resolves once every update committed so far survives a power loss, not only a crash of
   * the process. PostgreSQL's commits already do; SQLite's (synchronous = NORMAL) are then
   * flushed from its write-ahead log, off the event loop.
   */
  async durable(): Promise<void> {
    await this.fast?.flushLog?.();
  }

  /** Every blob path any user references, for garbage collection. */
  async referencedImages(): Promise<{ profileImages: string[]; backgroundImages: string[]; banners: string[] }> {
    const rows = await this.db.selectFrom('users').select(['profile_image', 'profile_background_image', 'profile_banner']).execute();
    const pick = (f: (r: (typeof rows)[number]) => string | null) => rows.map(f).filter((v): v is string => v !== null);
    return {
      profileImages: pick((r) => r.profile_image),
      backgroundImages: pick((r) => r.profile_background_image),
      banners: pick((r) => r.profile_banner),
    };
  }
}
