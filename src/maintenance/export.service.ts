// `plumage export`: every row of TRANSFER_TABLES and every image those rows reference, into one
// archive (see transfer-format.ts). Rows are read in one transaction (one consistent snapshot).
// Images are read twice: once to checksum them for the manifest, which comes first in the
// archive, and once to copy them; keys are immutable, so both reads see the same bytes (the
// second read is checked against the first). The archive is written to a temporary file next
// to the target and renamed into place only when complete.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import tar from 'tar-stream';
import type { BlobStore } from '../storage/blobs/blob-store.ts';
import {
  ARCHIVE_FORMAT, ARCHIVE_VERSION, MANIFEST_NAME, TRANSFER_TABLES, blobFile, contentTypeOfKey, readTable,
  referencedBlobKeys, tableFile, type Manifest, type Row,
} from './transfer-format.ts';

export class ExportError extends Error {
  override name = 'ExportError';
}

export interface TransferProgress {
  phase: 'checksum' | 'write' | 'read' | 'insert';
  done: number;
  total: number;
}

export interface ExportOptions {
  file: string;
  gzip: boolean;
  /** Replace an existing file. */
  overwrite?: boolean;
  onProgress?: (p: TransferProgress) => void;
}

export interface ExportSummary {
  file: string;
  tables: Record<string, number>;
  blobs: number;
  blobBytes: number;
  archiveBytes: number;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

export class ExportService {
  constructor(
    private readonly db: Kysely<any>,
    private readonly blobs: BlobStore,
    private readonly source: Manifest['source'],
    private readonly version: string,
  ) {}

  async run(o: ExportOptions): Promise<ExportSummary> {
    if (!o.overwrite && fs.existsSync(o.file)) throw new ExportError(`${o.file} exists; give --force to replace it`);
    const dir = path.dirname(path.resolve(o.file));
    if (!fs.existsSync(dir)) throw new ExportError(`folder ${dir} does not exist`);

    // One snapshot of every table. PostgreSQL needs REPEATABLE READ for that; SQLite's
    // transaction already reads one snapshot.
    const tables = await this.db.transaction().execute(async (trx) => {
      if (this.source.database === 'postgresql') await sql`set transaction isolation level repeatable read, read only`.execute(trx);
      const out = new Map<string, Row[]>();
      for (const spec of TRANSFER_TABLES) out.set(spec.name, await readTable(trx, spec));
      return out;
    });
    const keys = referencedBlobKeys(tables.get('users') ?? []);

    const manifest: Manifest = {
      format: ARCHIVE_FORMAT,
      version: ARCHIVE_VERSION,
      created_at: new Date().toISOString(),
      plumage_version: this.version,
      source: this.source,
      tables: [],
      blobs: [],
    };
    const tableBytes = new Map<string, Buffer>();
    for (const spec of TRANSFER_TABLES) {
      const rows = tables.get(spec.name)!;
      const body = Buffer.from(rows.map((r) => `${JSON.stringify(r, spec.columns.map((c) => c.name))}\n`).join(''));
      tableBytes.set(spec.name, body);
      manifest.tables.push({ name: spec.name, file: tableFile(spec.name), columns: spec.columns.map((c) => c.name), rows: rows.length, bytes: body.length, sha256: sha256(body) });
    }

    const total = keys.length;
    for (const [i, key] of keys.entries()) {
      const bytes = await this.readBlob(key);
      manifest.blobs.push({ key, file: blobFile(key), bytes: bytes.length, sha256: sha256(bytes), content_type: contentTypeOfKey(key) });
      o.onProgress?.({ phase: 'checksum', done: i + 1, total });
    }

    const tmp = path.join(dir, `.${path.basename(o.file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.partial`);
    const pack = tar.pack();
    const out = fs.createWriteStream(tmp, { mode: 0o600 });
    const written = o.gzip ? pipeline(pack, zlib.createGzip(), out) : pipeline(pack, out);
    // Rejections are handled by the await below; keep one from being reported as unhandled meanwhile.
    written.catch(() => undefined);
    const entry = (name: string, body: Buffer) =>
      new Promise<void>((resolve, reject) => {
        pack.entry({ name, size: body.length, mode: 0o600, mtime: new Date(manifest.created_at) }, body, (err) => (err ? reject(err) : resolve()));
      });
    try {
      const steps = 1 + manifest.tables.length + manifest.blobs.length;
      let done = 0;
      const step = () => o.onProgress?.({ phase: 'write', done: ++done, total: steps });
      await entry(MANIFEST_NAME, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
      step();
      for (const t of manifest.tables) {
        await entry(t.file, tableBytes.get(t.name)!);
        step();
      }
      for (const b of manifest.blobs) {
        const bytes = await this.readBlob(b.key);
        if (bytes.length !== b.bytes || sha256(bytes) !== b.sha256) throw new ExportError(`image ${b.key} changed while it was exported`);
        await entry(b.file, bytes);
        step();
      }
      pack.finalize();
      await written;
      fs.renameSync(tmp, o.file);
    } catch (e) {
      pack.destroy();
      await written.catch(() => undefined);
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    return {
      file: o.file,
      tables: Object.fromEntries(manifest.tables.map((t) => [t.name, t.rows])),
      blobs: manifest.blobs.length,
      blobBytes: manifest.blobs.reduce((n, b) => n + b.bytes, 0),
      archiveBytes: fs.statSync(o.file).size,
    };
  }

  private async readBlob(key: string): Promise<Buffer> {
    const blob = await this.blobs.open(key);
    if (!blob) throw new ExportError(`image ${key} is referenced by an account but missing from the blob store (nothing was exported)`);
    return readAll(blob.stream);
  }
}
