// `plumage users|apps|tokens …`: thin shells over AccountsService. Names and flags are an
// interface scripts use (issue #2); keep them.
import { Command } from 'commander';
import { presentUser, toJson } from '../http/presenters.ts';
import { MediaUrls } from '../http/media-urls.ts';
import type { User } from '../profile/user.ts';
import { printJson, withConfigOptions, withDeps } from './context.ts';
import { examples } from './help.ts';
import { checkCallback, readPasswordFromStdin, setCallback, setPassword } from './web.ts';

function userJson(deps: { config: ConstructorParameters<typeof MediaUrls>[0] }, u: User): Record<string, unknown> {
  return presentUser(u, new MediaUrls(deps.config), { includeEntities: true, self: false, includeEmail: false });
}

export function usersCommand(): Command {
  const users = new Command('users').description('manage accounts')
    .addHelpText('after', examples('plumage users add alice --name "Alice Liddell"', 'plumage users list --json'));
  withConfigOptions(users.command('add').argument('<screen_name>', 'the handle: 1 to 15 letters, digits or underscores').description('create an account'))
    .option('--name <name>', 'display name (defaults to the screen name)')
    .option('--description <text>', 'bio')
    .option('--location <text>', 'location')
    .option('--url <url>', 'web site')
    .option('--email <address>', 'e-mail address (returned by verify_credentials include_email)')
    .option('--json', 'print the v1.1 user object as JSON')
    .addHelpText('after', examples('plumage users add alice', 'plumage users add bob --name "Bob" --description "Builder" --url example.org --json'))
    .option('--password-stdin', 'read a password for signing in on the web pages from standard input')
    .action(async function (this: Command, screenName: string) {
      const o = this.opts();
      const password = o.passwordStdin ? await readPasswordFromStdin() : undefined;
      await withDeps(this, async (deps) => {
        const u = await deps.accounts.addUser({ screenName, name: o.name, description: o.description, location: o.location, url: o.url, email: o.email });
        if (password !== undefined) await setPassword(deps, u.screenName, password);
        if (o.json) printJson(toJson(userJson(deps, u)));
        else process.stdout.write(`created @${u.screenName} (user id ${u.id})\n`);
      });
    });
  withConfigOptions(users.command('list').description('list accounts'))
    .option('--json', 'print {"users":[…]} with v1.1 user objects')
    .addHelpText('after', examples('plumage users list', 'plumage users list --json'))
    .action(async function (this: Command) {
      await withDeps(this, async (deps) => {
        const all = await deps.accounts.listUsers();
        if (this.opts().json) printJson(toJson({ users: all.map((u) => userJson(deps, u)) }));
        else for (const u of all) process.stdout.write(`${u.id}\t@${u.screenName}\t${u.name}\n`);
      });
    });
  withConfigOptions(users.command('passwd').argument('<screen_name>', 'the handle, in any case').description('set the web sign-in password (from standard input); signs out every browser'))
    .addHelpText('after', examples('plumage users passwd alice   # then type the password and Enter', "printf '%s\\n' 'a long passphrase' | plumage users passwd alice"))
    .action(async function (this: Command, screenName: string) {
      const password = await readPasswordFromStdin();
      await withDeps(this, async (deps) => {
        await setPassword(deps, screenName, password);
        process.stdout.write(`password set for @${screenName.replace(/^@/, '')}\n`);
      });
    });
  withConfigOptions(users.command('show').argument('<screen_name>', 'the handle, in any case').description("print an account's v1.1 user object"))
    .option('--json', 'one line of JSON (default: indented)')
    .addHelpText('after', examples('plumage users show alice', 'plumage users show alice --json'))
    .action(async function (this: Command, screenName: string) {
      await withDeps(this, async (deps) => {
        const user = userJson(deps, await deps.accounts.getUser(screenName));
        printJson(toJson(user, this.opts().json ? undefined : 2));
      });
    });
  return users;
}

export function appsCommand(): Command {
  const apps = new Command('apps').description('manage client applications (consumer keys)')
    .addHelpText('after', examples('plumage apps add "My App"', 'plumage apps add reader --read-only --json'));
  withConfigOptions(apps.command('add').argument('<name>', 'a name for the application (for your own records)').description('register an application'))
    .option('--read-only', 'the app may only read (POSTs get 403 code 261)')
    .option('--json', 'print the credentials as JSON')
    .addHelpText('after', examples('plumage apps add "My App"', 'plumage apps add reader --read-only --json', 'plumage apps add "My Site" --callback https://example.org/callback'))
    .option('--callback <url>', 'callback URL of the three-legged OAuth flow (oauth_callback must start with it)')
    .action(async function (this: Command, name: string) {
      const o = this.opts();
      const callback = o.callback === undefined ? undefined : checkCallback(o.callback);
      await withDeps(this, async (deps) => {
        const app = await deps.accounts.addApp(name, o.readOnly ? 'read' : 'read-write');
        if (callback !== undefined) await setCallback(deps, app.id, callback);
        const out = { id: app.id, name: app.name, consumer_key: app.consumerKey, consumer_secret: app.consumerSecret, access_level: app.accessLevel, ...(callback !== undefined ? { callback_url: callback } : {}) };
        if (o.json) printJson(out);
        else process.stdout.write(`consumer_key=${out.consumer_key}\nconsumer_secret=${out.consumer_secret}\naccess_level=${out.access_level}\n`);
      });
    });
  return apps;
}

export function tokensCommand(): Command {
  const tokens = new Command('tokens').description('issue and revoke access tokens')
    .addHelpText('after', examples('plumage tokens issue --consumer-key KEY --user alice', 'plumage tokens revoke 1851…-AbC…'));
  withConfigOptions(tokens.command('issue').description('issue an access token of an app for a user'))
    .requiredOption('--consumer-key <key>', "the app's consumer key")
    .requiredOption('--user <screen_name>', 'the account the token acts for')
    .option('--json', 'print the token as JSON')
    .addHelpText('after', examples('plumage tokens issue --consumer-key KEY --user alice', 'plumage tokens issue --consumer-key KEY --user alice --json'))
    .action(async function (this: Command) {
      const o = this.opts();
      await withDeps(this, async (deps) => {
        const { token, user } = await deps.accounts.issueToken(o.consumerKey, o.user);
        const out = { oauth_token: token.token, oauth_token_secret: token.secret, user_id: user.id, screen_name: user.screenName };
        if (o.json) printJson(out);
        else process.stdout.write(Object.entries(out).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
      });
    });
  withConfigOptions(tokens.command('revoke').argument('<oauth_token>', 'the access token to revoke').description('revoke an access token'))
    .option('--json', 'print {"revoked": token} as JSON')
    .addHelpText('after', examples('plumage tokens revoke 1851…-AbC…'))
    .action(async function (this: Command, token: string) {
      await withDeps(this, async (deps) => {
        await deps.accounts.revokeToken(token);
        if (this.opts().json) printJson({ revoked: token });
        else process.stdout.write('revoked\n');
      });
    });
  return tokens;
}
