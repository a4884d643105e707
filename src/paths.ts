// Where the project's files are, whether this code runs from src/ (through tsx) or bundled into
// dist/ (scripts/build.mjs): the nearest folder above this module that holds Plumage's
// package.json.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function projectRoot(): string {
  if (root !== undefined) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    try {
      if ((JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string }).name === 'plumage') return (root = dir);
    } catch {
      // not here: look further up
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the package.json of plumage above its modules');
    dir = up;
  }
}
