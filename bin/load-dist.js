// Loads dist/cli.cjs (scripts/build.mjs) as require() would, but with V8's code cache: Node 20
// keeps no compiled code between runs, and compiling the bundle and the functions that start
// the server is a good part of the start-up time. The cache is dist/cli.cjs.cache, written by
// a run that found none it could use (at exit, or 10 s after start for a server), and used only
// with the very file it was made from (same inode, size and modification time) and when V8
// accepts it (same V8 version and flags). Writing it is best effort: a read-only dist/ only
// means no cache.
import fs from 'node:fs';
import path from 'node:path';
import { isAscii } from 'node:buffer';
import vm from 'node:vm';
import Module, { createRequire } from 'node:module';

function readSource(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const s = fs.fstatSync(fd);
    const bytes = fs.readFileSync(fd);
    // The build writes ASCII: read as Latin-1 (the same text), much faster than UTF-8.
    return { source: isAscii(bytes) ? bytes.latin1Slice() : bytes.toString('utf8'), identity: `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}` };
  } finally {
    fs.closeSync(fd);
  }
}

/** { header, data } of the cache file, or undefined. Its first line is a JSON header. */
function readCache(cacheFile) {
  try {
    const buf = fs.readFileSync(cacheFile);
    const nl = buf.indexOf(10);
    if (nl < 0) return undefined;
    return { header: JSON.parse(buf.subarray(0, nl).toString('utf8')), data: buf.subarray(nl + 1) };
  } catch {
    return undefined;
  }
}

function writable(dir) {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs the CommonJS file and returns its exports. */
export function loadDist(file, command = '') {
  const cacheFile = `${file}.cache`;
  const { source, identity } = readSource(file);
  const cache = readCache(cacheFile);
  const usable = cache !== undefined && cache.header.identity === identity && cache.header.node === process.version;
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData: usable ? cache.data : undefined,
    ...(vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER ? { importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER } : {}),
  });
  // A cache made by another command holds little of what `serve` compiles: serve makes its own.
  const accepted = usable && !script.cachedDataRejected;
  if ((!accepted || (command === 'serve' && cache.header.command !== 'serve')) && writable(path.dirname(file))) {
    let written = false;
    const write = () => {
      if (written) return;
      written = true;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        const header = JSON.stringify({ identity, node: process.version, command });
        fs.writeFileSync(tmp, Buffer.concat([Buffer.from(`${header}\n`), script.createCachedData()]));
        fs.renameSync(tmp, cacheFile);
      } catch {
        fs.rmSync(tmp, { force: true });
      }
    };
    process.once('exit', write);
    setTimeout(write, 10_000).unref();
  }
  const dir = path.dirname(file);
  const mod = new Module(file, null);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(dir);
  const req = createRequire(file);
  script.runInThisContext().call(mod.exports, mod.exports, req, mod, file, dir);
  mod.loaded = true;
  return mod.exports;
}
