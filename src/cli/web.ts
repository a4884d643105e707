// CLI support for the web pages: passwords (`users add --password-stdin`, `users passwd`) and
// an application's callback URL (`apps add --callback`).
import type { Deps } from '../deps.ts';
import { CliError } from './context.ts';
import { PasswordRuleError, checkPasswordRules } from '../web/passwords.ts';
import { WebAuthService } from '../web/web-auth.service.ts';
import { WebRepository } from '../web/web.repository.ts';
import { UsersRepository } from '../storage/db/users.repository.ts';
import { parseCallbackUrl } from '../web/oauth-flow.service.ts';

/** The password on standard input: everything up to the first line break (or the end). */
export async function readPasswordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password (input is shown; pipe it in to hide it): ');
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    total += chunk.length;
    if (chunks.some((c) => c.includes(10)) || total > 8192) break;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const line = text.split(/\r?\n/)[0] ?? '';
  try {
    checkPasswordRules(line);
  } catch (e) {
    if (e instanceof PasswordRuleError) throw new CliError(e.message);
    throw e;
  }
  return line;
}

export async function setPassword(deps: Deps, screenName: string, password: string): Promise<void> {
  const auth = new WebAuthService(new WebRepository(deps.db), new UsersRepository(deps.db), deps.rateLimiter, deps.clock);
  await auth.setPassword(screenName, password);
}

/** Checks --callback before anything is created. */
export function checkCallback(raw: string): string {
  const u = parseCallbackUrl(raw);
  if (!u) throw new CliError(`--callback must be an http:// or https:// URL: "${raw}"`);
  return u.toString();
}

export async function setCallback(deps: Deps, appId: string, url: string): Promise<void> {
  await new WebRepository(deps.db).setCallback(appId, url);
}
