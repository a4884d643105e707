// The CLI side of the web pages, spawned for real: `users add --password-stdin`,
// `users passwd`, `apps add --callback`, and their refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.ts';
import { createDeps } from '../../src/deps.ts';
import { WebAuthService } from '../../src/web/web-auth.service.ts';
import { WebRepository } from '../../src/web/web.repository.ts';
import { UsersRepository } from '../../src/storage/db/users.repository.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'plumage.js');
// A bound on each child, so a wedged process fails the test instead of hanging the suite.
const CHILD_LIMIT_MS = 120_000;

function plumage(dataDir: string, args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PLUMAGE_')) env[k] = v;
    const child = execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...env, PLUMAGE_DATA_DIR: dataDir }, timeout: CHILD_LIMIT_MS, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    child.stdin!.end(stdin);
  });
}

test('plumage users add --password-stdin, users passwd, apps add --callback', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumage-web-cli-'));
  try {
    const add = await plumage(dataDir, ['users', 'add', 'gina', '--password-stdin'], 'first password here\n');
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /^created @gina \(user id \d+\)\n$/);

    // One after the other: SQLite and a busy machine both prefer it.
    const short = await plumage(dataDir, ['users', 'passwd', 'gina'], 'short\n');
    const noUser = await plumage(dataDir, ['users', 'passwd', 'nobody'], 'long enough password\n');
    const badCallback = await plumage(dataDir, ['apps', 'add', 'Bad', '--callback', 'javascript:alert(1)'], '');
    const app = await plumage(dataDir, ['apps', 'add', 'Gallery', '--callback', 'https://gallery.example/oauth/callback', '--json'], '');
    assert.equal(short.code, 1, short.stderr);
    assert.match(short.stderr, /^plumage: a password needs at least 8 characters\n$/);
    assert.equal(noUser.code, 1, noUser.stderr);
    assert.match(noUser.stderr, /User not found/);
    assert.equal(badCallback.code, 1, badCallback.stderr);
    assert.match(badCallback.stderr, /--callback must be an http:\/\/ or https:\/\/ URL/);
    assert.equal(app.code, 0, app.stderr);
    const created = JSON.parse(app.stdout) as { id: string; callback_url: string };
    assert.equal(created.callback_url, 'https://gallery.example/oauth/callback');

    const passwd = await plumage(dataDir, ['users', 'passwd', 'gina'], 'second password here\n');
    assert.equal(passwd.code, 0, passwd.stderr);
    assert.equal(passwd.stdout, 'password set for @gina\n');

    const deps = await createDeps(loadConfig({ dataDir }));
    try {
      const repo = new WebRepository(deps.db);
      const auth = new WebAuthService(repo, new UsersRepository(deps.db), deps.rateLimiter, deps.clock);
      assert.equal(await auth.checkPassword('gina', 'first password here', '192.0.2.1'), null);
      assert.equal((await auth.checkPassword('gina', 'second password here', '192.0.2.1'))?.screenName, 'gina');
      assert.equal(await repo.callback(created.id), 'https://gallery.example/oauth/callback');
      // Stored as scrypt, never as the password.
      const hash = await repo.passwordHash((await deps.accounts.getUser('gina')).id);
      assert.match(hash!, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
      // Nothing half-made: the refused app does not exist.
      assert.equal((await deps.db.selectFrom('apps').select('name').execute()).map((a) => a.name).includes('Bad'), false);
    } finally {
      await deps.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
