// Runs the whole suite with node's test runner (Node 20 has no --test globs), in two passes:
//  1. every test file, on embedded storage (SQLite, files, in-process limits); the contract
//     and scale-out tests bring their own PostgreSQL, Redis and S3 set-ups;
//  2. the HTTP suite again with PLUMAGE_TEST_STORAGE=scaled: PostgreSQL + Redis + S3.
// Without PostgreSQL or Redis the second pass is skipped LOUDLY; with CI=true it is mandatory.
// Files run two at a time: each starts its own servers on loopback ports and temp folders.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);

function find(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...find(p));
    else if (e.name.endsWith('.test.ts') && (only.length === 0 || only.some((o) => p.includes(o)))) out.push(p);
  }
  return out.sort();
}

function run(files, env) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  return r.status ?? 1;
}

function reachable(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.setTimeout(2000);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

const all = find(root);
if (all.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
console.log(`\n== pass 1: embedded storage (${all.length} files) ==\n`);
const first = run(all, { PLUMAGE_TEST_STORAGE: 'embedded' });

const http = all.filter((f) => f.includes(`${path.sep}http${path.sep}`));
let second = 0;
if (http.length > 0) {
  const missing = [];
  if (!(await reachable(5432))) missing.push('PostgreSQL (127.0.0.1:5432)');
  if (!(await reachable(6379))) missing.push('Redis (127.0.0.1:6379)');
  if (missing.length === 0) {
    console.log(`\n== pass 2: scaled storage, PostgreSQL + Redis + S3 (${http.length} files) ==\n`);
    second = run(http, { PLUMAGE_TEST_STORAGE: 'scaled' });
  } else if (process.env.CI === 'true') {
    console.error(`\nFAIL: the scaled pass is mandatory with CI=true, but ${missing.join(' and ')} cannot be reached.`);
    second = 1;
  } else {
    const bar = '!'.repeat(78);
    console.error(`\n${bar}\n!! SKIPPED the scaled pass: ${missing.join(' and ')} cannot be reached.\n!! The HTTP suite ran on embedded storage only.\n${bar}\n`);
  }
}
process.exit(first || second);
