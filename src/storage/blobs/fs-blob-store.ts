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

  async put(key: string, bytes: Buffer, _contentType?: string, sameAs?: string): Promise<void> {
    const target = this.file(key);
    const dir = path.dirname(target);
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
    let file = target;
    let fd: number;
    // The flushes started before the file was made in its folder: a later one covers it.
    let changedAfter: number;
    // The file (and its folder, when missing) is made synchronously: on a local filesystem
    // these calls change cached metadata and do not wait for the disk, while a trip through
    // libuv's thread pool for each of open, close and mkdir cost more than the call itself, on
    // the answer's path. What waits for the disk (the write, the folder's flush) goes to the
    // pool. delete() prunes emptied folders, so the folder is made whenever the open finds it
    // missing, even after an earlier put of the same upload made it.
    for (let missing = 0; ; ) {
      try {
        fd = fs.openSync(file, CREATE_DURABLY, 0o666);
        changedAfter = this.flushesStarted;
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' && file === target) file = `${target}.${crypto.randomBytes(6).toString('hex')}.tmp`;
        else if (code === 'ENOENT' && ++missing < 3) fs.mkdirSync(dir, { recursive: true });
        else throw e;
      }
    }
    try {
      await writeAll(fd, bytes);
      // Where O_DSYNC does not exist, the flush is made the usual way.
      if (fs.constants.O_DSYNC === undefined) await fsyncFd(fd);
    } catch (e) {
      closeQuietly(fd);
      removeQuietly(file);
      throw e;
    }
    try {
      fs.closeSync(fd);
      if (file === target) {
        await this.syncDirAfterChange(dir, changedAfter);
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
