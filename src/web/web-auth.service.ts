// Sign-in for the web pages: scrypt passwords, sessions whose ids are stored hashed (so every
// node behind a load balancer knows them), per-session CSRF tokens, and sign-in attempts
// counted in the shared rate limiter (Redis when scaled out).
import crypto from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { RateLimiter } from '../storage/limits/rate-limiter.ts';
import type { UsersRepository } from '../storage/db/users.repository.ts';
import type { User } from '../profile/user.ts';
import { UserNotFoundError } from '../profile/errors.ts';
import { dummyHash, hashPassword, verifyPassword } from './passwords.ts';
import { sha256Hex, type WebRepository } from './web.repository.ts';

export const SESSION_TTL_MS = 14 * 24 * 3600 * 1000;
export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;
/** Failed attempts per account and per client address in one window. */
export const SIGN_IN_LIMITS = { account: 10, address: 100 } as const;

export class SignInThrottledError extends Error {
  override name = 'SignInThrottledError';
  constructor(readonly retryAt: number) {
    super('Too many sign-in attempts. Try again later.');
  }
}

export interface Session {
  user: User;
  csrfToken: string;
  /** The cookie value's hash: the row's key. */
  idHash: string;
}

/** Constant-time comparison of two strings of any length. */
export function sameSecret(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y) && a.length === b.length;
}

export class WebAuthService {
  constructor(
    private readonly repo: WebRepository,
    private readonly users: UsersRepository,
    private readonly limiter: RateLimiter,
    private readonly clock: Clock,
  ) {}

  /** `plumage users add --password-stdin`, `plumage users passwd`: also signs every browser out. */
  async setPassword(screenName: string, password: string): Promise<User> {
    const user = await this.users.findByScreenName(screenName);
    if (!user) throw new UserNotFoundError();
    const hash = await hashPassword(password);
    await this.repo.setPasswordHash(user.id, hash, this.clock.now());
    await this.repo.deleteSessionsOf(user.id);
    return user;
  }

  /**
   * Checks a screen name and password. Failed attempts are counted per account and per client
   * address in the shared rate limiter; past either limit every attempt is refused, right
   * password or not, until the window ends. Returns the user, or null for a wrong combination.
   */
  async checkPassword(screenName: string, password: string, clientAddress: string): Promise<User | null> {
    const name = screenName.trim().replace(/^@/, '').toLowerCase().slice(0, 64);
    const keys = [`web-sign-in\u0000account\u0000${name}`, `web-sign-in\u0000address\u0000${clientAddress}`] as const;
    const limits = [SIGN_IN_LIMITS.account, SIGN_IN_LIMITS.address] as const;
    const windows = await Promise.all(keys.map((k) => this.limiter.peek(k)));
    windows.forEach((w, i) => {
      if (w && w.count >= limits[i]!) throw new SignInThrottledError(w.resetAt);
    });
    const user = /^[a-z0-9_]{1,15}$/.test(name) ? await this.users.findByScreenName(name) : undefined;
    const stored = user ? await this.repo.passwordHash(user.id) : undefined;
    // Unknown account or no password: the same scrypt work, so timing does not tell.
    const ok = await verifyPassword(password, stored ?? (await dummyHash()));
    if (ok && user && stored) return user;
    await Promise.all(keys.map((k) => this.limiter.hit(k, SIGN_IN_WINDOW_MS)));
    return null;
  }

  /** A new session; returns the cookie value (never stored) and the session. */
  async startSession(user: User): Promise<{ cookie: string; session: Session }> {
    const cookie = crypto.randomBytes(32).toString('base64url');
    const csrfToken = crypto.randomBytes(24).toString('base64url');
    const now = this.clock.now();
    const idHash = sha256Hex(cookie);
    await this.repo.insertSession(idHash, user.id, csrfToken, now, now + SESSION_TTL_MS);
    // Housekeeping at sign-in time keeps the table small without a timer.
    await this.repo.deleteExpiredSessions(now);
    return { cookie, session: { user, csrfToken, idHash } };
  }

  async session(cookie: string | undefined): Promise<Session | null> {
    if (!cookie || !/^[A-Za-z0-9_-]{43}$/.test(cookie)) return null;
    const idHash = sha256Hex(cookie);
    const row = await this.repo.findSession(idHash, this.clock.now());
    if (!row) return null;
    const user = await this.users.findById(row.userId);
    return user ? { user, csrfToken: row.csrfToken, idHash } : null;
  }

  async endSession(s: Session): Promise<void> {
    await this.repo.deleteSession(s.idHash);
  }
}
