// BlobStore on the local filesystem, under <data dir>/media. A new key's file is made in place
// and its bytes reach the disk in the write itself (O_DSYNC); an existing key is replaced by a
// temporary file renamed into place, so a reader never sees half of a blob it could already
// read. The folder's entry is flushed too: once put() resolves the blob survives a crash of
// the process or of the machine, and the row that will reference it is switched only after
// that. A crash during a write leaves at most an unreferenced file: a new key's, or a stray
// temporary file, which list() reports (named `<key>.<random>.tmp`) so that `plumage gc`
// collects both like any other unreferenced blob.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { fsyncFd } from '../flush.ts';
import { isSafeKey, type BlobStore, type StoredBlob } from './blob-store.ts';

export class FsBlobStore implements BlobStore {
  /**
   * Files made by prepare() that no put or delete has taken yet: the file open for writing
   * (null for a second name of a prepared file) and the flush of its folder, begun once the
   * files were made.
   */
  private readonly prepared = new Map<string, { fd: number | null; flushed: Promise<void> }>();
  private readonly dirSyncs = new Map<string, { running: Promise<void> | null; runningNumber: number; next: Promise<void> | null }>();
  /** Folder flushes started so far, in any folder: each flush takes the next number. */
  private flushesStarted = 0;

  constructor(private readonly root: string) {
    fs.mkdirSync(root, { recursive: true });
  }

  private file(key: string): string {
    if (!isSafeKey(key)) throw new Error(`unsafe blob key: ${JSON.stringify(key)}`);
    return path.join(this.root, ...key.split('/'));
  }

  /**
   * Makes the files of puts to come, and begins their folders' flushes, now: an avatar's five
   * files are made while its variants are encoded, and each put then writes its bytes and
   * finds the folder flushed already (or soon), instead of making its file and waiting for a
   * flush of its own on the answer's path. A `sameAs` of the same call becomes a hard link to
   * that (still empty) file, which its put fills for both names. A key whose file cannot be made
   * here (it exists, the name is unsafe, the disk refuses) is left to its put.
   */
  prepare(entries: ReadonlyArray<{ key: string; sameAs?: string | undefined }>): void {
    const made = new Map<string, Array<{ key: string; fd: number | null }>>();
    /** Per folder of `made`: the parents of the folders made for it, holding their new entries. */
    const parents = new Map<string, string[]>();
    for (const { key, sameAs } of entries) {
      if (this.prepared.has(key) || !isSafeKey(key)) continue;
      const target = this.file(key);
      const dir = path.dirname(target);
      let fd: number | null;
      if (sameAs !== undefined) {
        // Only a file this call made: its put is still to write these very bytes.
        if (!isSafeKey(sameAs) || !made.get(path.dirname(this.file(sameAs)))?.some((m) => m.key === sameAs && m.fd !== null)) continue;
        if (!this.linked(this.file(sameAs), target)) continue;
        fd = null;
      } else {
        try {
          const opened = openNew(target, dir);
          fd = opened.fd;
          if (opened.newFolderEntriesIn.length > 0) parents.set(dir, [...(parents.get(dir) ?? []), ...opened.newFolderEntriesIn]);
        } catch {
          continue;
        }
      }
      const inDir = made.get(dir) ?? [];
      inDir.push({ key, fd });
      made.set(dir, inDir);
    }
    // The flushes started so far began before these files were made.
    const changedAfter = this.flushesStarted;
    for (const [dir, files] of made) {
      const flushed = this.syncDirsAfterChange([dir, ...(parents.get(dir) ?? [])], changedAfter);
      // Awaited by each put; until then, not an unhandled rejection.
      flushed.catch(() => undefined);
      for (const { key, fd } of files) this.prepared.set(key, { fd, flushed });
    }
  }

  async put(key: string, bytes: Buffer, _contentType?: string, sameAs?: string): Promise<void> {
    const target = this.file(key);
    const dir = path.dirname(target);
    const ready = this.prepared.get(key);
    if (ready !== undefined) {
      this.prepared.delete(key);
      if (ready.fd !== null || sameAs !== undefined) return putPrepared(target, ready.fd, ready.flushed, bytes);
      // Prepared as a second name, but these bytes are not said to be the first name's: that
      // name goes, and the bytes are written the usual way.
      removeQuietly(target);
    }
    // The same bytes stored already: a hard link to that file, whose bytes are on disk, and
    // the folder's flush for the new entry. One file less to write and flush per avatar. Where
    // a link cannot be made (an existing key, another filesystem, no hard links), the bytes
    // are written as usual.
    if (sameAs !== undefined && this.linked(this.file(sameAs), target)) {
      try {
        await this.syncDirAfterChange(dir, this.flushesStarted);
      } catch (e) {
        removeQuietly(target);
        throw e;
      }
      return;
    }
    // Keys are written once (blob-store.ts), so a new key is written in place: nothing can
    // reference it before put() resolves, and a crash midway leaves an unreferenced file for
    // `plumage gc`. That saves the rename and the second flush of the folder it needs. A key
    // that exists already (an import replacing what it imported before) is replaced through a
    // temporary file and a rename, so that a reader never sees half of it.
    // The file is made on the event loop (openNew); what waits for the disk (the write, the
    // folder's flush) goes to libuv's pool.
    let file = target;
    let opened: ReturnType<typeof openNew>;
    try {
      opened = openNew(file, dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      file = `${target}.${crypto.randomBytes(6).toString('hex')}.tmp`;
      opened = openNew(file, dir);
    }
    const { fd, newFolderEntriesIn } = opened;
    // The flushes started before the file was made in its folder: a later one covers it.
    const changedAfter = this.flushesStarted;
    await writeDurably(fd, file, bytes);
    try {
      fs.closeSync(fd);
      if (file === target) {
        await this.syncDirsAfterChange([dir, ...newFolderEntriesIn], changedAfter);
        return;
      }
      // The bytes are on disk: now the rename, then the folder's flush.
      await fsp.rename(file, target);
      await this.syncDirAfterChange(dir, this.flushesStarted);
    } catch (e) {
      // The file is ours (O_EXCL) and its put is failing: nobody is to find it.
      removeQuietly(file);
      throw e;
    }
  }

  /** Makes `target` a new name of `existing`; false (and nothing made) when it cannot. */
  private linked(existing: string, target: string): boolean {
    try {
      fs.linkSync(existing, target);
      return true;
    } catch {
      return false;
    }
  }

  /** syncDirAfterChange for each of `dirs`: a file's folder, and the parents of folders made for it. */
  private syncDirsAfterChange(dirs: readonly string[], changedAfter: number): Promise<void> {
    if (dirs.length === 1) return this.syncDirAfterChange(dirs[0]!, changedAfter);
    return Promise.all([...new Set(dirs)].map((d) => this.syncDirAfterChange(d, changedAfter))).then(() => undefined);
  }

  /**
   * Flushes the folder after a file was made or renamed in it; `changedAfter` is the number of
   * folder flushes started before that change was made. The puts of one upload change the same
   * folder at nearly the same moment: a flush that starts after a caller's change covers it. So
   * a caller joins the flush in flight when it started after the change, and otherwise the next
   * flush that has not started yet (started only once the one in flight is done), instead of
   * issuing its own. Each caller returns only after a flush that began after its change has
   * finished.
   */
  private syncDirAfterChange(dir: string, changedAfter: number): Promise<void> {
    let state = this.dirSyncs.get(dir);
    if (!state) {
      state = { running: null, runningNumber: 0, next: null };
      this.dirSyncs.set(dir, state);
    }
    if (state.running && state.runningNumber > changedAfter) return state.running;
    if (state.next) return state.next;
    const s = state;
    const start = (): Promise<void> => {
      const run = syncDir(dir).finally(() => {
        if (s.running === run) s.running = null;
        if (s.running === null && s.next === null && this.dirSyncs.get(dir) === s) this.dirSyncs.delete(dir);
      });
      s.running = run;
      s.runningNumber = ++this.flushesStarted;
      return run;
    };
    if (!s.running) return start();
    // A flush is in flight and may have started before our change: wait for it, then flush again.
    const next = s.running.catch(() => undefined).then(() => {
      s.next = null;
      return start();
    });
    s.next = next;
    return next;
  }

  async open(key: string): Promise<StoredBlob | null> {
    if (!isSafeKey(key)) return null;
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(this.file(key), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EISDIR') return null;
      throw e;
    }
    const st = await handle.stat();
    if (!st.isFile()) {
      await handle.close();
      return null;
    }
    return { stream: handle.createReadStream(), size: st.size };
  }

  async delete(keys: readonly string[]): Promise<void> {
    // Every key is checked before anything is removed.
    const files = [...new Set(keys.map((key) => this.file(key)))];
    // A prepared file that no put took: closed here, removed below.
    for (const key of keys) {
      const ready = this.prepared.get(key);
      if (ready === undefined) continue;
      this.prepared.delete(key);
      if (ready.fd !== null) closeQuietly(ready.fd);
    }
    // The files at once (an avatar is five files in one folder), then each emptied folder once,
    // deepest first, up to the root; the ones still in use stay.
    // unlink, not rm: rm checks each path twice with lstat before unlinking it (three trips
    // through libuv's thread pool instead of one), and the replaced avatar's deletion runs on
    // the same pool as the next uploads' decodes and writes.
    await Promise.all(files.map((file) => fsp.unlink(file).catch(ignoreMissing)));
    const dirs = [...new Set(files.map((file) => path.dirname(file)))];
    const pruned = new Set<string>();
    for (let dir of dirs.sort((a, b) => b.length - a.length)) {
      while (dir.startsWith(this.root) && dir !== this.root && !pruned.has(dir)) {
        try {
          await fsp.rmdir(dir);
        } catch {
          break;
        }
        pruned.add(dir);
        dir = path.dirname(dir);
      }
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    const walk = async function* (dir: string, rel: string): AsyncIterable<string> {
      let entries: fs.Dirent[];
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      for (const e of entries) {
        const key = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) yield* walk(path.join(dir, e.name), key);
        // Temporary files are listed too: a finished write renamed its own away, so one seen
        // here is either in flight (young: gc's grace period keeps it) or a crash's leftover.
        else if (e.isFile()) yield key;
      }
    };
    for await (const key of walk(this.root, '')) if (key.startsWith(prefix)) yield key;
  }
}

/** O_DSYNC: each write returns once its bytes (and the size that finds them) are on disk. */
const CREATE_DURABLY = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | (fs.constants.O_DSYNC ?? 0);

/**
 * Makes a new file and opens it for durable writing. The file (and its folder, when missing) is
 * made synchronously: on a local filesystem these calls change cached metadata and do not wait
 * for the disk, while a trip through libuv's thread pool for each of open and mkdir cost more
 * than the call itself. delete() prunes emptied folders, so the folder is made whenever the
 * open finds it missing, even after an earlier put of the same upload made it. Also returns
 * the parent of each folder it made: that folder's entry there is new, and reaches the disk only
 * when the parent is flushed (an fsync of a file or of its own folder does not promise it).
 * EEXIST and other failures are thrown.
 */
function openNew(file: string, dir: string): { fd: number; newFolderEntriesIn: string[] } {
  let newFolderEntriesIn: string[] = [];
  for (let missing = 0; ; ) {
    try {
      return { fd: fs.openSync(file, CREATE_DURABLY, 0o666), newFolderEntriesIn };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && ++missing < 3) {
        const first = fs.mkdirSync(dir, { recursive: true });
        if (first !== undefined) newFolderEntriesIn = [...newFolderEntriesIn, ...parentsOfMade(first, dir)];
      } else throw e;
    }
  }
}

/** The parent of each folder from `first` down to `dir` (mkdirSync's recursive result and its target). */
function parentsOfMade(first: string, dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; path.dirname(d) !== d; d = path.dirname(d)) {
    out.push(path.dirname(d));
    if (d === first) break;
  }
  return out;
}

/**
 * The put of a prepared file: its bytes written (none for a second name, whose first name's put
 * wrote them), then the folder's flush begun by prepare(). Failing, the name is removed.
 */
async function putPrepared(file: string, fd: number | null, flushed: Promise<void>, bytes: Buffer): Promise<void> {
  if (fd !== null) await writeDurably(fd, file, bytes);
  try {
    if (fd !== null) fs.closeSync(fd);
    await flushed;
  } catch (e) {
    removeQuietly(file);
    throw e;
  }
}

/**
 * Writes all of `bytes` to a new file's descriptor so that they are on disk when it resolves
 * (O_DSYNC; where that does not exist, an fsync). Failing, the descriptor is closed and the
 * file removed.
 */
async function writeDurably(fd: number, file: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeAll(fd, bytes);
    if (fs.constants.O_DSYNC === undefined) await fsyncFd(fd);
  } catch (e) {
    closeQuietly(fd);
    removeQuietly(file);
    throw e;
  }
}

/** Writes all of `bytes` at the file's current offset, on libuv's thread pool. */
function writeAll(fd: number, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    let offset = 0;
    const next = (): void => {
      if (offset >= bytes.length) return resolve();
      fs.write(fd, bytes, offset, bytes.length - offset, null, (err, written) => {
        if (err) return reject(err);
        offset += written;
        next();
      });
    };
    next();
  });
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Already failing: the first error is the one reported.
  }
}

/** Removes a file this store made for a put that is failing; one already gone is fine. */
function removeQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // Gone already, or left to `plumage gc` (list() reports it).
  }
}

/**
 * Flushes a folder's entries (a file made or renamed in it) to disk; not every platform can
 * open a folder. The open and close are synchronous, as the file's are in put(); the flush is not.
 */
async function syncDir(dir: string): Promise<void> {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    await fsyncFd(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw e;
  } finally {
    fs.closeSync(fd);
  }
}

/** A file already gone is as good as deleted (a racing delete, or `plumage gc`). */
function ignoreMissing(e: NodeJS.ErrnoException): void {
  if (e.code !== 'ENOENT') throw e;
}
