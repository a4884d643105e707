// Compiles src/ into dist/ with esbuild (one ESM bundle per entry, lazily imported modules as
// separate chunks, node_modules left external), so that `plumage` starts without compiling
// TypeScript. bin/plumage.js uses dist/ only while dist/BUILD.json still matches src/; else it
// runs the sources through tsx. Tests always run the sources.
//
// Usage: node scripts/build.mjs [--if-stale]   (--if-stale: do nothing when dist/ is current)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceStamp } from '../bin/stamp.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const stampFile = path.join(dist, 'BUILD.json');

const stamp = sourceStamp(root);
if (process.argv.includes('--if-stale') && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) process.exit(0);

const esbuild = await import('esbuild');
const tmp = `${dist}.tmp-${process.pid}`;
fs.rmSync(tmp, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli.ts' },
  outdir: tmp,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
});
fs.writeFileSync(path.join(tmp, 'BUILD.json'), stamp);
fs.writeFileSync(path.join(tmp, 'package.json'), '{"type":"module"}\n');
// Swap in one rename, so a running `plumage` never sees a half-written dist/.
fs.rmSync(dist, { recursive: true, force: true });
fs.renameSync(tmp, dist);
