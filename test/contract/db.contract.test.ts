// One contract for the SQL layer, run against every engine: SQLite (embedded) and PostgreSQL.
// Repositories must behave the same whichever database is behind them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { openDatabase } from '../../src/storage/db/dialect.ts';
import { migrateToLatest } from '../../src/storage/db/migrate.ts';
import type { Database } from '../../src/storage/db/schema.ts';
import { UsersRepository, type UserPatch } from '../../src/storage/db/users.repository.ts';
import { AppsRepository, TokensRepository } from '../../src/storage/db/apps.repository.ts';
import { AccountsService } from '../../src/accounts/accounts.service.ts';
import { IdGenerator } from '../../src/ids.ts';
import { systemClock } from '../../src/clock.ts';
import { tempDir } from '../helpers/server.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { serviceMissing } from '../helpers/services.ts';
import type { FastSql } from '../../src/storage/db/fast-sql.ts';

interface Engine {
  db: Kysely<Database>;
  lockRows: boolean;
  /** The prepared-statement path the server uses for per-request queries. */
  fast: FastSql;
  /** A second, independent connection (pool) to the same database. */
  reopen(): Promise<{ db: Kysely<Database>; fast: FastSql }>;
  close(): Promise<void>;
}

function contract(name: string, open: () => Promise<Engine>, skip: string | false = false) {
  describe(`SQL contract: ${name}`, { skip }, () => {
    let e: Engine;
    let users: UsersRepository;
    let accounts: AccountsService;
    let tokens: TokensRepository;
    before(async () => {
      e = await open();
      await migrateToLatest(e.db);
      users = new UsersRepository(e.db, e.lockRows, e.fast);
      tokens = new TokensRepository(e.db, e.fast);
      accounts = new AccountsService(users, new AppsRepository(e.db), tokens, new IdGenerator(systemClock), systemClock);
    });
    after(() => e.close());

    test('credentials: token, app and user in one read; a revocation shows at the next read', async () => {
      const u = await accounts.addUser({ screenName: 'credo', name: 'Credo' });
      const app = await accounts.addApp('credo app', 'read');
      const { token } = await accounts.issueToken(app.consumerKey, 'credo');
      const found = await tokens.findCredentials(token.token);
      assert.deepEqual(found, { token, app, user: u });
      // The Kysely path (no prepared statements) reads the same.
      assert.deepEqual(await new TokensRepository(e.db).findCredentials(token.token), found);
      assert.equal(await tokens.findCredentials('no-such-token'), undefined);
      assert.equal(await tokens.revoke(token.token, 1234), true);
      assert.equal((await tokens.findCredentials(token.token))?.token.revokedAt, 1234);
    });

    test('credentials read again after every kind of write: user updates, image switches, app and token changes', async () => {
      const u = await accounts.addUser({ screenName: 'cachy' });
      const app = await accounts.addApp('cachy app', 'read-write');
      const { token } = await accounts.issueToken(app.consumerKey, 'cachy');
      const first = await tokens.findCredentials(token.token);
      assert.deepEqual(await tokens.findCredentials(token.token), first);
      // A colour update (the prepared path) and an image switch are seen by the next read.
      await users.update(u.id, { colours: { link: 'ABCDEF' } });
      assert.equal((await tokens.findCredentials(token.token))?.user?.colours.link, 'ABCDEF');
      await users.updateReturningPrevious(u.id, { profileImage: '9/c.png' });
      const afterSwitch = await tokens.findCredentials(token.token);
      assert.equal(afterSwitch?.user?.profileImage, '9/c.png');
      assert.equal(afterSwitch?.user?.colours.link, 'ABCDEF');
      // A write through Kysely (no notice to any cache) is seen too.
      await e.db.updateTable('apps').set({ access_level: 'read' }).where('id', '=', app.id).execute();
      assert.equal((await tokens.findCredentials(token.token))?.app.accessLevel, 'read');
      await e.db.updateTable('users').set({ name: 'Renamed' }).where('id', '=', u.id).execute();
      assert.equal((await tokens.findCredentials(token.token))?.user?.name, 'Renamed');
      await accounts.revokeToken(token.token);
      assert.notEqual((await tokens.findCredentials(token.token))?.token.revokedAt, null);
    });

    test('credentials: a commit by another connection to the same database is seen by the next read', async () => {
      const u = await accounts.addUser({ screenName: 'twoconn' });
      const app = await accounts.addApp('twoconn app', 'read-write');
      const { token } = await accounts.issueToken(app.consumerKey, 'twoconn');
      assert.equal((await tokens.findCredentials(token.token))?.token.revokedAt, null);
      const other = await e.reopen();
      try {
        const otherTokens = new TokensRepository(other.db, other.fast);
        const otherUsers = new UsersRepository(other.db, e.lockRows, other.fast);
        // A server reads a request in a later turn of the event loop than the other process's
        // commit it must see (credentials-cache.ts); the test lets one turn pass likewise.
        const nextTurn = () => new Promise((r) => setImmediate(r));
        await otherUsers.update(u.id, { colours: { text: '010203' } });
        await nextTurn();
        assert.equal((await tokens.findCredentials(token.token))?.user?.colours.text, '010203');
        assert.equal(await otherTokens.revoke(token.token, 4321), true);
        await nextTurn();
        assert.equal((await tokens.findCredentials(token.token))?.token.revokedAt, 4321);
      } finally {
        await other.db.destroy();
      }
    });

    test('updateReturningPrevious returns the row before and after, in one transaction', async () => {
      const u = await accounts.addUser({ screenName: 'prev' });
      const r = await users.updateReturningPrevious(u.id, { profileImage: '1/a.png', colours: { text: '123456' } });
      assert.equal(r?.before.profileImage, null);
      assert.equal(r?.after.profileImage, '1/a.png');
      assert.equal(r?.after.colours.text, '123456');
      assert.equal(await users.updateReturningPrevious('999', { profileImage: 'x' }), undefined);
      assert.deepEqual(await users.findById(u.id), r?.after);
    });

    test('migrations are idempotent', async () => {
      assert.deepEqual(await migrateToLatest(e.db), []);
    });

    test('users: insert, find by id and by screen name in any case, list in id order', async () => {
      const a = await accounts.addUser({ screenName: 'Alice', name: 'Alice ☃', url: 'example.org' });
      const b = await accounts.addUser({ screenName: 'bob' });
      assert.deepEqual(await users.findById(a.id), a);
      assert.deepEqual(await users.findByScreenName('ALICE'), a);
      assert.equal(await users.findByScreenName('nobody'), undefined);
      const listed = (await users.list()).map((u) => u.id);
      assert.deepEqual(listed.filter((id) => id === a.id || id === b.id), [a.id, b.id]);
      await assert.rejects(accounts.addUser({ screenName: 'alice' }), /already taken/);
      assert.equal(typeof a.createdAt, 'number');
    });

    test('updates change only the given columns and return the new row', async () => {
      const u = await accounts.addUser({ screenName: 'carol', name: 'Carol' });
      const after1 = await users.update(u.id, { colours: { link: 'FF0000' }, backgroundTile: true });
      assert.equal(after1?.colours.link, 'FF0000');
      assert.equal(after1?.colours.text, u.colours.text);
      assert.equal(after1?.backgroundTile, true);
      assert.equal(after1?.name, 'Carol');
      assert.equal(await users.update('1', { name: 'x' }), undefined);
    });

    test('updateReturningPrevious reports exactly the value each switch replaced, under concurrency', async () => {
      const u = await accounts.addUser({ screenName: 'dave' });
      const values = Array.from({ length: 20 }, (_, i) => `${1000 + i}/img.png`);
      const results = await Promise.all(values.map((v) => users.updateReturningPrevious(u.id, { profileImage: v })));
      // The replaced values form one chain: each value replaced exactly once, except the last.
      const replaced = results.map((r) => r!.before.profileImage);
      assert.equal(replaced.filter((v) => v === null).length, 1);
      const final = (await users.findById(u.id))!.profileImage;
      assert.deepEqual(new Set([...replaced.filter((v) => v !== null), final]), new Set(values));
    });

    test('concurrent updates of different fields never undo each other', async () => {
      const u = await accounts.addUser({ screenName: 'erin' });
      await Promise.all([
        users.update(u.id, { colours: { background: '000000' } }),
        users.updateReturningPrevious(u.id, { profileImage: '77/a.png' }),
        users.update(u.id, { location: 'Here' }),
        users.updateReturningPrevious(u.id, { banner: `${u.id}/123` }),
      ]);
      const after = (await users.findById(u.id))!;
      assert.equal(after.colours.background, '000000');
      assert.equal(after.profileImage, '77/a.png');
      assert.equal(after.location, 'Here');
      assert.equal(after.banner, `${u.id}/123`);
      const refs = await users.referencedImages();
      assert.ok(refs.profileImages.includes('77/a.png'));
      assert.ok(refs.banners.includes(`${u.id}/123`));
    });

    test('apps and tokens: issue, find, revoke once, local credentials reused', async () => {
      await accounts.addUser({ screenName: 'frank' });
      const app = await accounts.addApp('client', 'read');
      const { token } = await accounts.issueToken(app.consumerKey, 'frank');
      assert.equal(token.accessLevel, 'read');
      assert.deepEqual(await tokens.find(token.token), token);
      await accounts.revokeToken(token.token);
      assert.notEqual((await tokens.find(token.token))!.revokedAt, null);
      await assert.rejects(accounts.revokeToken(token.token));
      const one = await accounts.localCredentials('frank');
      const two = await accounts.localCredentials('FRANK');
      assert.equal(one.token.token, two.token.token);
      assert.equal(one.app.accessLevel, 'read-write');
    });
  });
}

contract('SQLite', async () => {
  const dir = tempDir();
  const { db, lockRows, fast } = openDatabase({ dataDir: dir, database: null });
  const reopen = async () => openDatabase({ dataDir: dir, database: null });
  return { db, lockRows, fast, reopen, close: async () => { await db.destroy(); fs.rmSync(dir, { recursive: true, force: true }); } };
});

contract('PostgreSQL', async () => {
  const t = await createTestDatabase();
  const { db, lockRows, fast } = openDatabase({ dataDir: '', database: { url: t.url, poolSize: 5 } });
  const reopen = async () => openDatabase({ dataDir: '', database: { url: t.url, poolSize: 2 } });
  return { db, lockRows, fast, reopen, close: async () => { await db.destroy(); await t.drop(); } };
}, await serviceMissing('postgres'));

describe('SQLite durability levels', () => {
  test('commits run NORMAL (in the log before they return); flushLog flushes the log file, which may be absent', async () => {
    const dir = tempDir();
    const { db, fast } = openDatabase({ dataDir: dir, database: null });
    try {
      // PRAGMA synchronous: 1 = NORMAL, 2 = FULL.
      const level = async () => (await fast.rows<{ synchronous: number }>('PRAGMA synchronous', []))[0]!.synchronous;
      assert.equal(await level(), 1);
      assert.equal(fast.syncTransaction!((run) => run<{ synchronous: number }>('PRAGMA synchronous', [])[0]!.synchronous), 1);
      await migrateToLatest(db);
      const wal = path.join(dir, 'plumage.db-wal');
      assert.ok(fs.statSync(wal).size > 0, 'the commits are in the write-ahead log');
      await fast.flushLog!();
      // The flush opens the log by name: a missing log is nothing to flush, another error is one.
      fs.renameSync(wal, `${wal}.moved`);
      await fast.flushLog!();
      fs.symlinkSync(wal, wal);
      await assert.rejects(fast.flushLog!(), { code: 'ELOOP' });
    } finally {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A migrated database with one user, a read-write app and its token, the credentials cached. */
async function oneCachedAccount(db: Parameters<typeof migrateToLatest>[0], lockRows: ConstructorParameters<typeof UsersRepository>[1], fast: ConstructorParameters<typeof UsersRepository>[2], screenName: string) {
  await migrateToLatest(db);
  const users = new UsersRepository(db, lockRows, fast);
  const tokens = new TokensRepository(db, fast);
  const accounts = new AccountsService(users, new AppsRepository(db), tokens, new IdGenerator(systemClock), systemClock);
  const u = await accounts.addUser({ screenName });
  const app = await accounts.addApp(`${screenName} app`, 'read-write');
  const { token } = await accounts.issueToken(app.consumerKey, screenName);
  await tokens.findCredentials(token.token);
  return { users, tokens, u, token };
}

describe('SQLite group commit (batchedWrite)', () => {
  test('updates queued in one turn commit together, each with its own row; a failing one leaves the others', async () => {
    const dir = tempDir();
    const { db, lockRows, fast } = openDatabase({ dataDir: dir, database: null });
    try {
      const { users, tokens, u, token } = await oneCachedAccount(db, lockRows, fast, 'groupie');
      const colours = Array.from({ length: 20 }, (_, i) => `0000${String(i).padStart(2, '0')}`);
      const results = await Promise.all([
        ...colours.map((c) => users.update(u.id, { colours: { link: c } })),
        // A statement that fails (screen_name_key is unique) in the middle of the group.
        fast.batchedWrite!((run) => run('UPDATE users SET screen_name_key = ? WHERE id = ?', ['groupie', '0'])).catch((e: Error) => e),
        users.update(u.id, { colours: { text: 'ABCDEF' } }),
      ]);
      assert.deepEqual(results.slice(0, 20).map((r) => (r as { colours: { link: string } }).colours.link), colours);
      assert.equal((results[21] as { colours: { text: string } }).colours.text, 'ABCDEF');
      const after = await users.findById(u.id);
      assert.equal(after?.colours.link, '000019');
      assert.equal(after?.colours.text, 'ABCDEF');
      // The cache followed the group's rows.
      assert.equal((await tokens.findCredentials(token.token))?.user?.colours.link, '000019');
    } finally {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an update answered from the cached row (no RETURNING) gives exactly the row a fresh read gives, for every field', async () => {
    const dir = tempDir();
    const { db, lockRows, fast } = openDatabase({ dataDir: dir, database: null });
    try {
      const { users, u } = await oneCachedAccount(db, lockRows, fast, 'patchy');
      // Counts the updates that were answered from the cache, to know this path ran.
      const cache = fast.credentials!;
      let fromCache = 0;
      const currentUser = cache.currentUser.bind(cache);
      cache.currentUser = (id: string) => {
        const known = currentUser(id);
        if (known !== undefined) fromCache++;
        return known;
      };
      // Every field of UserPatch, set and then cleared where it can be.
      const patches: UserPatch[] = [
        { colours: { link: 'ABCDEF' } },
        { colours: { background: '010101', link: '020202', sidebarBorder: '030303', sidebarFill: '040404', text: '050505' } },
        { name: 'Patchy ☃', description: 'Line one\nline two', location: 'Oslo' },
        { url: 'https://example.org/x', email: 'p@example.org' },
        { url: null, email: null },
        { backgroundTile: true, useBackgroundImage: false },
        { backgroundTile: false, useBackgroundImage: true },
        { profileImage: '11/a.jpg', backgroundImage: '12/b.png', banner: `${u.id}/1700000000` },
        { profileImage: null, backgroundImage: null, banner: null },
        { name: 'Again', colours: { text: '0A0B0C' }, profileImage: '13/c.gif' },
      ];
      for (const patch of patches) {
        const answered = await users.update(u.id, patch);
        assert.deepEqual(answered, await users.findById(u.id), JSON.stringify(patch));
      }
      assert.equal(fromCache, patches.length);
      // A user with no row: no update, no user, whichever path.
      assert.equal(await users.update('999999', { colours: { link: '000000' } }), undefined);
    } finally {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a commit by another connection just before the update is in the row it answers (the cached row is not used)', async () => {
    const dir = tempDir();
    const { db, lockRows, fast } = openDatabase({ dataDir: dir, database: null });
    const other = new SQLite(path.join(dir, 'plumage.db'));
    try {
      const { users, tokens, u, token } = await oneCachedAccount(db, lockRows, fast, 'racer');
      // The cache reads data_version once per turn. A request authenticated in the group's own
      // turn, then the other connection's commit, then the group: that turn's data_version
      // predates the commit.
      let seen: string | undefined;
      setImmediate(() => {
        void tokens.findCredentials(token.token).then((c) => (seen = c?.user?.name));
        other.prepare('UPDATE users SET name = ? WHERE id = ?').run('Changed elsewhere', u.id);
      });
      const answered = await users.update(u.id, { colours: { link: '123123' } });
      assert.equal(seen, u.name);
      assert.equal(answered?.name, 'Changed elsewhere');
      assert.equal(answered?.colours.link, '123123');
      assert.deepEqual(answered, await users.findById(u.id));
    } finally {
      other.close();
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('when the group cannot commit, every write of it fails and nothing of it shows', async () => {
    const dir = tempDir();
    const { db, lockRows, fast } = openDatabase({ dataDir: dir, database: null });
    const blocker = new SQLite(path.join(dir, 'plumage.db'));
    try {
      const { users, tokens, u, token } = await oneCachedAccount(db, lockRows, fast, 'blocked');
      // Another process holds the write lock past the busy timeout.
      (await fast.rows('PRAGMA busy_timeout = 200', []));
      blocker.exec('BEGIN IMMEDIATE');
      const outcomes = await Promise.allSettled([users.update(u.id, { colours: { link: '111111' } }), users.update(u.id, { colours: { text: '222222' } })]);
      assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected']);
      blocker.exec('ROLLBACK');
      const now = await users.findById(u.id);
      assert.notEqual(now?.colours.link, '111111');
      assert.notEqual(now?.colours.text, '222222');
      assert.notEqual((await tokens.findCredentials(token.token))?.user?.colours.link, '111111');
      assert.equal((await users.update(u.id, { colours: { link: '333333' } }))?.colours.link, '333333');
    } finally {
      blocker.close();
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
