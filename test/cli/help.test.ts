// `--help` on every command and `--version`. The commands are enumerated from commander's own
// tree, so a command added without a description, option descriptions or examples fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommanderError, type Command } from 'commander';
import { program } from '../../src/cli.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'plumage.js');
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function all(cmd: Command, trail: string[] = []): Array<{ cmd: Command; trail: string[] }> {
  return cmd.commands.flatMap((c) => [{ cmd: c, trail: [...trail, c.name()] }, ...all(c, [...trail, c.name()])]);
}

let captured = '';
function quiet(cmd: Command): void {
  cmd.exitOverride().configureOutput({ writeOut: (s) => (captured += s), writeErr: (s) => (captured += s) });
  for (const c of cmd.commands) quiet(c);
}

/** What `plumage <trail> --help` prints, run through commander in this process. */
async function help(trail: string[]): Promise<string> {
  captured = '';
  try {
    await program.parseAsync(['node', 'plumage', ...trail, '--help']);
    assert.fail('--help must end the parse');
  } catch (e) {
    assert.ok(e instanceof CommanderError, String(e));
    assert.equal(e.code, 'commander.helpDisplayed');
    assert.equal(e.exitCode, 0);
  }
  return captured;
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

test('every command has a description, described options and arguments, examples, and a working --help', async () => {
  quiet(program);
  const commands = all(program);
  // The commands of the issues so far; new ones are checked as soon as they exist.
  const names = commands.map((c) => c.trail.join(' '));
  for (const expected of ['serve', 'migrate', 'gc', 'users add', 'users list', 'users show', 'apps add', 'tokens issue', 'tokens revoke', 'request', 'export', 'import']) {
    assert.ok(names.includes(expected), `${expected} is a command`);
  }
  for (const { cmd, trail } of [{ cmd: program, trail: [] as string[] }, ...commands]) {
    const where = `plumage ${trail.join(' ')}`.trim();
    assert.ok(cmd.description().trim().length > 0, `${where} has a description`);
    for (const o of cmd.options) assert.ok(o.description.trim().length > 0, `${where} ${o.flags} has a description`);
    for (const a of cmd.registeredArguments) assert.ok(a.description.trim().length > 0, `${where} <${a.name()}> has a description`);
    const text = await help(trail);
    assert.ok(text.startsWith(`Usage: ${where}`), `${where} --help starts with its usage:\n${text}`);
    assert.ok(text.includes(cmd.description()), `${where} --help shows the description`);
    for (const o of cmd.options) assert.ok(text.includes(o.flags), `${where} --help lists ${o.flags}`);
    assert.match(text, /\nExamples:\n {2}\$ (\S+=\S+ )*plumage /, `${where} --help gives examples:\n${text}`);
  }
});

test('plumage --version prints the version in package.json; --help lists every command (real process)', async () => {
  const [version, short, top] = await Promise.all([run(['--version']), run(['-V']), run(['--help'])]);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout, `${VERSION}\n`);
  assert.equal(short.stdout, `${VERSION}\n`);
  assert.equal(top.code, 0, top.stderr);
  for (const c of program.commands) assert.match(top.stdout, new RegExp(`\\n  ${c.name()}\\b`), `plumage --help lists ${c.name()}`);
});
