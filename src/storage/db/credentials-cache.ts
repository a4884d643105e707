// The credentials every signed request needs (access token, its application, its user), kept
// in memory on SQLite so that a request costs no query, yet never served stale: each lookup
// first checks that nothing was committed since the entries were read.
//
// - Commits of other connections (the CLI revoking a token, another `--workers` process, an
//   import) change SQLite's `PRAGMA data_version`, which the lookup reads (once per turn of the
//   event loop, see currentDataVersion): any change empties the cache.
// - Writes of this connection do not change data_version; every write statement it prepares is
//   counted instead (dialect.ts), and any count the cache was not told about empties it. The
//   hot writes (a user's colours, profile fields, images) tell the cache the row they wrote
//   (`userWritten`), in the same synchronous step, so their entries stay and carry the new row.
//
// PostgreSQL gets no cache: several nodes write it, and a query there is the only fresh read.
import type { AccessToken, App, User } from '../../profile/user.ts';

export interface CachedCredentials {
  token: AccessToken;
  app: App;
  user: User | undefined;
}

export interface ChangeCounters {
  /** SQLite's PRAGMA data_version on this connection: changes when another connection commits. */
  dataVersion(): number;
  /** Write statements run by this connection so far. */
  localWrites(): number;
}

export class CredentialsCache {
  private readonly entries = new Map<string, CachedCredentials>();
  /** The tokens of each user among the entries (a user's writes visit only theirs). */
  private readonly tokensOf = new Map<string, Set<string>>();
  private dataVersion = -1;
  private localWrites = -1;

  constructor(private readonly counters: ChangeCounters, private readonly max = 10_000) {}

  /** The entry for `token`, or undefined; drops everything first if anything was committed. */
  get(token: string): CachedCredentials | undefined {
    const dv = this.currentDataVersion();
    const lw = this.counters.localWrites();
    if (dv !== this.dataVersion || lw !== this.localWrites) {
      this.drop();
      this.dataVersion = dv;
      this.localWrites = lw;
      return undefined;
    }
    return this.entries.get(token);
  }

  /**
   * Stores what a query read just now (call it in the same synchronous step as the query, after
   * `get`, so that the counters it was checked against still hold).
   */
  set(token: string, creds: CachedCredentials): void {
    if (this.counters.localWrites() !== this.localWrites || this.currentDataVersion() !== this.dataVersion) return;
    if (this.entries.size >= this.max) this.remove(this.entries.keys().next().value!);
    this.remove(token);
    this.entries.set(token, creds);
    const userId = creds.token.userId;
    let tokens = this.tokensOf.get(userId);
    if (tokens === undefined) this.tokensOf.set(userId, (tokens = new Set()));
    tokens.add(token);
  }

  /**
   * The user's row as the entries hold it, when that is certainly the row in the database now:
   * no other connection has committed since the entries were read (data_version read now, not
   * the turn's) and every write of this connection since was told of. Only inside a write
   * transaction (nobody else can commit before it ends), in the same synchronous step as the
   * write that follows it; undefined when not certain or not held.
   */
  currentUser(userId: string): User | undefined {
    const tokens = this.tokensOf.get(userId);
    if (tokens === undefined) return undefined;
    if (this.counters.localWrites() !== this.localWrites || this.counters.dataVersion() !== this.dataVersion) return undefined;
    for (const token of tokens) return this.entries.get(token)?.user;
    return undefined;
  }

  /**
   * This connection has just written `user` (one write statement: the row it read back, or
   * currentUser's with the change applied), in the same synchronous step: entries of that user
   * carry the new row and the write is accounted for. If any other write happened in between,
   * everything is dropped instead.
   */
  userWritten(user: User | undefined, userId: string): void {
    const lw = this.counters.localWrites();
    if (lw !== this.localWrites + 1) {
      this.clear();
      return;
    }
    this.localWrites = lw;
    const tokens = this.tokensOf.get(userId);
    if (tokens === undefined) return;
    // New entry objects: a request that already holds the old one keeps a consistent view.
    for (const k of tokens) {
      const e = this.entries.get(k)!;
      this.entries.set(k, { ...e, user });
    }
  }

  /**
   * data_version is read at most once per turn of the event loop: reading it begins a read
   * transaction (locks on the WAL index), which costs as much as the query it saves. Every
   * request whose authentication runs in this turn was read from its socket before the turn
   * began, so a commit by another process that happens during the turn is concurrent with those
   * requests, not before them; a request read after the commit is authenticated in a later
   * turn, after a fresh read.
   */
  private currentDataVersion(): number {
    if (!this.checkedThisTurn) {
      this.turnDataVersion = this.counters.dataVersion();
      this.checkedThisTurn = true;
      setImmediate(this.endTurn);
    }
    return this.turnDataVersion;
  }

  private checkedThisTurn = false;
  private turnDataVersion = -1;
  private readonly endTurn = () => {
    this.checkedThisTurn = false;
  };

  /** Forget everything (writes this cache was told about were rolled back). */
  clear(): void {
    this.drop();
    this.localWrites = -1;
  }

  private drop(): void {
    this.entries.clear();
    this.tokensOf.clear();
  }

  private remove(token: string): void {
    const e = this.entries.get(token);
    if (e === undefined) return;
    this.entries.delete(token);
    const tokens = this.tokensOf.get(e.token.userId)!;
    tokens.delete(token);
    if (tokens.size === 0) this.tokensOf.delete(e.token.userId);
  }

  get size(): number {
    return this.entries.size;
  }
}
