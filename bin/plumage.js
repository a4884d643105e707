#!/usr/bin/env node
// The `plumage` command. `npm install` / `npm start` compile src/ into dist/ (scripts/build.mjs);
// dist/ is used while it matches the sources, else they run through tsx (slower to start).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceStamp } from './stamp.js';
import { loadDist } from './load-dist.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let built = false;
try {
  built = fs.readFileSync(path.join(root, 'dist/BUILD.json'), 'utf8') === sourceStamp(root);
} catch {
  built = false;
}
let cli;
if (built) {
  cli = loadDist(path.join(root, 'dist/cli.cjs'), process.argv[2]);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../src/cli.ts');
}
await cli.main(process.argv);
