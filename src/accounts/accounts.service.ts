// Accounts, applications and access tokens: what the `plumage` CLI manages. Twitter did this
// through its web UI and the 3-legged flow; a self-hosted server needs it from the shell.
import type { Clock } from '../clock.ts';
import type { IdGenerator } from '../ids.ts';
import { randomBase62 } from '../auth/secrets.ts';
import type { AppsRepository, TokensRepository } from '../storage/db/apps.repository.ts';
import type { UsersRepository } from '../storage/db/users.repository.ts';
import { DEFAULT_COLOURS, type AccessLevel, type AccessToken, type App, type User } from '../profile/user.ts';
import { ScreenNameError, UserNotFoundError } from '../profile/errors.ts';
import { LIMITS, checkText, normalizeProfileUrl } from '../profile/rules.ts';

export class AppNotFoundError extends Error {
  override name = 'AppNotFoundError';
}
export class TokenNotFoundError extends Error {
  override name = 'TokenNotFoundError';
}
export class AppNameError extends Error {
  override name = 'AppNameError';
}

export interface NewUserInput {
  screenName: string;
  name?: string;
  description?: string;
  location?: string;
  url?: string;
  email?: string;
}

/** The app behind `plumage request --as`, created on first use. */
export const LOCAL_APP_NAME = 'plumage-cli';

export class AccountsService {
  constructor(
    private readonly users: UsersRepository,
    private readonly apps: AppsRepository,
    private readonly tokens: TokensRepository,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
  ) {}

  async addUser(input: NewUserInput): Promise<User> {
    // Twitter handles: 1 to 15 letters, digits or underscores.
    if (!/^[A-Za-z0-9_]{1,15}$/.test(input.screenName)) {
      throw new ScreenNameError(`screen name must be 1 to 15 letters, digits or underscores: "${input.screenName}"`);
    }
    if (await this.users.findByScreenName(input.screenName)) {
      throw new ScreenNameError(`screen name @${input.screenName} is already taken`);
    }
    const user: User = {
      id: this.ids.next(),
      screenName: input.screenName,
      name: checkText('Name', input.name ?? input.screenName, LIMITS.name),
      description: checkText('Description', input.description ?? '', LIMITS.description),
      location: checkText('Location', input.location ?? '', LIMITS.location),
      url: input.url === undefined ? null : normalizeProfileUrl(input.url),
      email: input.email ?? null,
      createdAt: this.clock.now(),
      colours: { ...DEFAULT_COLOURS },
      backgroundTile: false,
      useBackgroundImage: true,
      profileImage: null,
      backgroundImage: null,
      banner: null,
      protected: false,
      verified: false,
    };
    await this.users.insert(user);
    return user;
  }

  listUsers(): Promise<User[]> {
    return this.users.list();
  }

  async getUser(screenName: string): Promise<User> {
    const u = await this.users.findByScreenName(screenName);
    if (!u) throw new UserNotFoundError();
    return u;
  }

  async addApp(name: string, accessLevel: AccessLevel): Promise<App> {
    if (name.trim() === '') throw new AppNameError('an app needs a name');
    const app: App = {
      id: this.ids.next(),
      name,
      consumerKey: randomBase62(25),
      consumerSecret: randomBase62(50),
      accessLevel,
      createdAt: this.clock.now(),
    };
    await this.apps.insert(app);
    return app;
  }

  async findApp(consumerKey: string): Promise<App> {
    const app = await this.apps.findByConsumerKey(consumerKey);
    if (!app) throw new AppNotFoundError(`no app has consumer key ${consumerKey}`);
    return app;
  }

  async issueToken(consumerKey: string, screenName: string): Promise<{ token: AccessToken; user: User }> {
    const app = await this.findApp(consumerKey);
    const user = await this.getUser(screenName);
    const token: AccessToken = {
      token: `${user.id}-${randomBase62(40)}`,
      secret: randomBase62(45),
      appId: app.id,
      userId: user.id,
      accessLevel: app.accessLevel,
      createdAt: this.clock.now(),
      revokedAt: null,
    };
    await this.tokens.insert(token);
    return { token, user };
  }

  async revokeToken(token: string): Promise<void> {
    if (!(await this.tokens.revoke(token, this.clock.now()))) {
      throw new TokenNotFoundError('no active token has that value');
    }
  }

  /** Credentials of the built-in local app for a user, created on demand (`plumage request --as`). */
  async localCredentials(screenName: string): Promise<{ app: App; token: AccessToken }> {
    const user = await this.getUser(screenName);
    const app = (await this.apps.findByName(LOCAL_APP_NAME)) ?? (await this.addApp(LOCAL_APP_NAME, 'read-write'));
    const existing = await this.tokens.findActive(app.id, user.id);
    if (existing) return { app, token: existing };
    const { token } = await this.issueToken(app.consumerKey, user.screenName);
    return { app, token };
  }
}
