// Compiles src/ into dist/ with esbuild, so that `plumage` starts without compiling TypeScript
// and without resolving and reading hundreds of files under node_modules: one CommonJS file,
// dist/cli.cjs, holding src/ and the pure-JavaScript dependencies (modules imported lazily stay
// lazy: esbuild wraps them and runs them on first import). Native addons and the adapters of
// optional services stay in node_modules (EXTERNAL). bin/plumage.js uses dist/ only while
// dist/BUILD.json still matches src/; else it runs the sources through tsx. It loads
// dist/cli.cjs with V8's code cache (bin/load-dist.js). Tests always run the sources.
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

/**
 * Left in node_modules: native addons (better-sqlite3, sharp) and what only an optional
 * configuration loads (PostgreSQL, Redis, S3), plus the tools that are never imported at run
 * time.
 */
const EXTERNAL = ['better-sqlite3', 'sharp', 'pg', 'pg-native', 'ioredis', '@aws-sdk/*', '@smithy/*', 'playwright-core', 'tsx', 'esbuild'];

/**
 * A bundled CommonJS module of a dependency that uses __dirname or __filename (to read its own
 * files: @fastify/swagger-ui's static assets, @fastify/swagger's package.json, pino's worker)
 * gets the values it would have had in node_modules, found at run time from where the package
 * resolves, so dist/ still works when node_modules is elsewhere (hoisted).
 */
const dependencyDirname = {
  name: 'dependency-dirname',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/].*\.c?js$/ }, async (args) => {
      const source = await fs.promises.readFile(args.path, 'utf8');
      if (!/\b__(dirname|filename)\b/.test(source)) return undefined;
      const m = /^(.*[\\/]node_modules[\\/])((?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(args.path);
      if (!m) return undefined;
      const pkg = m[2].replaceAll('\\', '/');
      const pkgDir = m[1] + m[2];
      const relFile = path.relative(pkgDir, args.path).replaceAll('\\', '/');
      const relDir = path.posix.dirname(relFile);
      const prelude =
        `var __pkgdir = __dependencyDir(${JSON.stringify(pkg)}), ` +
        `__dirname = __pkgdir && require("node:path").join(__pkgdir, ${JSON.stringify(relDir)}), ` +
        `__filename = __pkgdir && require("node:path").join(__pkgdir, ${JSON.stringify(relFile)});`;
      // On the first line, so that the source map of the module is only shifted on that line.
      return { contents: prelude + source, loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

// The folder of a bundled package in node_modules, from its resolved entry point.
const banner = `
var __import_meta_url = require("node:url").pathToFileURL(__filename).href;
function __dependencyDir(pkg) {
  try {
    var f = require.resolve(pkg), k = f.replace(/\\\\/g, "/").lastIndexOf("node_modules/" + pkg + "/");
    return k < 0 ? undefined : f.slice(0, k + 13 + pkg.length);
  } catch (e) {
    return undefined;
  }
}`;

const esbuild = await import('esbuild');
const tmp = `${dist}.tmp-${process.pid}`;
fs.rmSync(tmp, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli.ts' },
  outdir: tmp,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  // CommonJS has no import.meta: src/ uses import.meta.url to find files next to its modules.
  define: { 'import.meta.url': '__import_meta_url' },
  banner: { js: banner },
  plugins: [dependencyDirname],
  // Less to read and to hash at each start; names stay (stack traces, plugin names).
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'linked',
  sourcemap: 'linked',
  logLevel: 'warning',
});
// bin/load-dist.js reads an all-ASCII bundle as Latin-1, much faster than decoding UTF-8 (and
// V8 keeps it as a one-byte string). esbuild escapes every other character except in tagged
// templates, which keep their raw text: write such characters as \u escapes in src/.
const out = fs.readFileSync(path.join(tmp, 'cli.cjs'), 'utf8');
const other = /[^\x00-\x7f]/.exec(out);
if (other) console.warn(`build: dist/cli.cjs is not ASCII (${JSON.stringify(out.slice(Math.max(0, other.index - 40), other.index + 10))}), so it starts slower`);
fs.writeFileSync(path.join(tmp, 'BUILD.json'), stamp);
// Swap in one rename, so a running `plumage` never sees a half-written dist/.
fs.rmSync(dist, { recursive: true, force: true });
fs.renameSync(tmp, dist);
