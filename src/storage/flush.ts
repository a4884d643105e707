// fsync of an open file descriptor on libuv's thread pool, as a promise. Shared by the media
// folder (a folder's flush) and SQLite's log flush, whose opens and closes are synchronous:
// only the wait for the disk leaves the event loop. node:fs is looked up at each call, so
// tests may hold fs.fsync back.
import fs from 'node:fs';

export function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
}
