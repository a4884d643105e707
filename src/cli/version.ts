// The version in package.json: `plumage --version` and the manifest of exported archives.
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../paths.ts';

let cached: string | undefined;

export function packageVersion(): string {
  cached ??= (JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return cached;
}
