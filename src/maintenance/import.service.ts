// `plumage import`: reads an archive made by `plumage export` (transfer-format.ts) into the
// configured database and blob store, all or nothing:
//  - the manifest comes first and is checked whole (format, version, tables and columns this
//    version knows, safe blob keys) before anything is written;
//  - every entry is checked against the manifest's size and SHA-256 before it is used;
//  - images are written to the blob store as they arrive, but rows only at the very end, in
//    one transaction, once every entry has been read and checked (blobs before the rows switch,
//    as for uploads);
//  - on any failure the images this run wrote are deleted again (unless rows already in the
//    database reference them) and no row is changed.
// A database that holds any row is refused unless `replace` is set; then its rows are deleted
// in the same transaction that inserts the archive's.
import crypto from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { PassThrough, type Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import tar from 'tar-stream';
import type { BlobStore } from '../storage/blobs/blob-store.ts';
import {
  ARCHIVE_FORMAT, ARCHIVE_VERSION, CONTENT_TYPES, MANIFEST_NAME, TRANSFER_TABLES, blobFile, isArchivableKey, readTable,
  referencedBlobKeys, tableFile, type Manifest, type ManifestBlob, type ManifestTable, type Row, type TableSpec,
} from './transfer-format.ts';
import type { TransferProgress } from './export.service.ts';

export class ImportError extends Error {
  override name = 'ImportError';
}

export interface ImportOptions {
  file: string;
  /** Delete every row of the target first (in the same transaction) instead of refusing a non-empty database. */
  replace?: boolean;
  onProgress?: (p: TransferProgress) => void;
}

export interface ImportSummary {
  tables: Record<string, number>;
  blobs: number;
  blobBytes: number;
  replaced: boolean;
}

const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
const MAX_BLOB_BYTES = 64 * 1024 * 1024;
const MAX_TABLE_BYTES = 1024 * 1024 * 1024;
const INSERT_BATCH = 200;
const HEX64 = /^[0-9a-f]{64}$/;

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

function fail(message: string): never {
  throw new ImportError(message);
}

async function readEntry(stream: AsyncIterable<unknown>, limit: number, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    n += (c as Buffer).length;
    if (n > limit) fail(`${name} is larger than the manifest says`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkSizeAndSum(name: string, v: Record<string, unknown>, max: number): void {
  if (!Number.isSafeInteger(v.bytes) || (v.bytes as number) < 0 || (v.bytes as number) > max) fail(`the manifest gives ${name} an impossible size`);
  if (typeof v.sha256 !== 'string' || !HEX64.test(v.sha256)) fail(`the manifest gives ${name} no valid SHA-256`);
}

/** Validates the manifest completely; returns it typed. */
export function parseManifest(bytes: Buffer): Manifest {
  let m: unknown;
  try {
    m = JSON.parse(bytes.toString('utf8'));
  } catch {
    fail('the manifest is not valid JSON: the archive is corrupt');
  }
  if (!isRecord(m) || m.format !== ARCHIVE_FORMAT) fail(`not a Plumage archive (the manifest's format is not "${ARCHIVE_FORMAT}")`);
  if (typeof m.version !== 'number' || !Number.isInteger(m.version)) fail('the manifest has no format version');
  if (m.version > ARCHIVE_VERSION) fail(`the archive has format version ${m.version}; this Plumage reads up to version ${ARCHIVE_VERSION}: upgrade Plumage`);
  if (m.version < 1) fail(`unknown archive format version ${m.version}`);
  if (!Array.isArray(m.tables) || !Array.isArray(m.blobs)) fail('the manifest lists no tables or no images');
  const seenTables = new Set<string>();
  for (const t of m.tables as unknown[]) {
    if (!isRecord(t) || typeof t.name !== 'string') fail('the manifest lists a table without a name');
    const spec = TRANSFER_TABLES.find((s) => s.name === t.name);
    if (!spec) fail(`the archive holds table "${t.name}", which this version of Plumage does not know: upgrade Plumage`);
    if (seenTables.has(spec.name)) fail(`the manifest lists table ${spec.name} twice`);
    seenTables.add(spec.name);
    if (t.file !== tableFile(spec.name)) fail(`the manifest gives table ${spec.name} an unexpected file name`);
    const want = spec.columns.map((c) => c.name);
    if (!Array.isArray(t.columns) || t.columns.length !== want.length || want.some((c, i) => (t.columns as unknown[])[i] !== c)) {
      fail(`table ${spec.name} in the archive has columns ${JSON.stringify(t.columns)}; this version expects ${JSON.stringify(want)}`);
    }
    if (!Number.isSafeInteger(t.rows) || (t.rows as number) < 0) fail(`the manifest gives table ${spec.name} an impossible row count`);
    checkSizeAndSum(`table ${spec.name}`, t, MAX_TABLE_BYTES);
  }
  const seenKeys = new Set<string>();
  for (const b of m.blobs as unknown[]) {
    if (!isRecord(b) || typeof b.key !== 'string' || !isArchivableKey(b.key)) fail(`the manifest lists an image with an unsafe or unknown key: ${JSON.stringify(isRecord(b) ? b.key : b).slice(0, 200)}`);
    if (seenKeys.has(b.key)) fail(`the manifest lists image ${b.key} twice`);
    seenKeys.add(b.key);
    if (b.file !== blobFile(b.key)) fail(`the manifest gives image ${b.key} an unexpected file name`);
    if (typeof b.content_type !== 'string' || !CONTENT_TYPES.has(b.content_type)) fail(`the manifest gives image ${b.key} an unknown content type`);
    checkSizeAndSum(`image ${b.key}`, b, MAX_BLOB_BYTES);
  }
  return m as unknown as Manifest;
}

function parseRows(spec: TableSpec, body: Buffer, expected: number): Row[] {
  const lines = body.toString('utf8').split('\n');
  if (lines.pop() !== '') fail(`table ${spec.name}: the last row is not terminated`);
  if (lines.length !== expected) fail(`table ${spec.name} holds ${lines.length} rows; the manifest says ${expected}`);
  const names = new Set(spec.columns.map((c) => c.name));
  return lines.map((line, i) => {
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      fail(`table ${spec.name}, row ${i + 1}: not valid JSON`);
    }
    if (!isRecord(row)) fail(`table ${spec.name}, row ${i + 1}: not an object`);
    for (const k of Object.keys(row)) if (!names.has(k)) fail(`table ${spec.name}, row ${i + 1}: unknown column ${k}`);
    for (const c of spec.columns) {
      const v = row[c.name];
      const ok = v === null ? c.nullable === true : c.type === 'text' ? typeof v === 'string' : Number.isSafeInteger(v);
      if (!ok) fail(`table ${spec.name}, row ${i + 1}: column ${c.name} must be ${c.type === 'text' ? 'a string' : 'an integer'}${c.nullable ? ' or null' : ''}`);
    }
    return row as Row;
  });
}

/** The archive's bytes, gunzipped when they start with the gzip magic number. */
async function openArchive(file: string): Promise<Readable> {
  let fd: fs.promises.FileHandle;
  try {
    fd = await fs.promises.open(file, 'r');
  } catch (e) {
    fail(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const head = Buffer.alloc(2);
  const { bytesRead } = await fd.read(head, 0, 2, 0);
  await fd.close();
  if (bytesRead === 0) fail(`${file} is empty`);
  const raw = fs.createReadStream(file);
  if (head[0] !== 0x1f || head[1] !== 0x8b) return raw;
  const gunzip = zlib.createGunzip();
  const out = new PassThrough();
  raw.on('error', (e) => out.destroy(e));
  gunzip.on('error', (e) => out.destroy(e));
  raw.pipe(gunzip).pipe(out);
  return out;
}

export class ImportService {
  constructor(
    private readonly db: Kysely<any>,
    private readonly blobs: BlobStore,
  ) {}

  async run(o: ImportOptions): Promise<ImportSummary> {
    // Refuse a non-empty database before reading anything else.
    const counts = await this.counts();
    const nonEmpty = Object.entries(counts).filter(([, n]) => n > 0);
    if (nonEmpty.length > 0 && !o.replace) {
      fail(`the database is not empty (${nonEmpty.map(([t, n]) => `${n} ${t}`).join(', ')}); give --replace to delete those rows and import the archive instead`);
    }
    // Images the current rows use must survive a failed import, even when this run rewrote them.
    const inUse = new Set(referencedBlobKeys(nonEmpty.length > 0 ? await readTable(this.db, TRANSFER_TABLES[0]!) : []));

    const written: string[] = [];
    try {
      const { manifest, rows } = await this.readArchive(o, written);
      const total = manifest.tables.reduce((n, t) => n + t.rows, 0);
      let done = 0;
      await this.db.transaction().execute(async (trx) => {
        if (o.replace) for (const spec of [...TRANSFER_TABLES].reverse()) await trx.deleteFrom(spec.name).execute();
        for (const spec of TRANSFER_TABLES) {
          const list = rows.get(spec.name) ?? [];
          for (let i = 0; i < list.length; i += INSERT_BATCH) {
            const batch = list.slice(i, i + INSERT_BATCH);
            await trx.insertInto(spec.name).values(batch).execute();
            done += batch.length;
            o.onProgress?.({ phase: 'insert', done, total });
          }
        }
      }).catch((e: unknown) => {
        if (e instanceof ImportError) throw e;
        const err = e as { code?: string; message?: string };
        // Constraint violations mean the archive's rows do not fit together; outages pass on.
        if (/constraint|unique|foreign key|duplicate/i.test(err.message ?? '')) fail(`the archive's rows do not fit together (${err.message}); nothing was imported`);
        throw e;
      });
      return {
        tables: Object.fromEntries(TRANSFER_TABLES.map((s) => [s.name, rows.get(s.name)?.length ?? 0])),
        blobs: manifest.blobs.length,
        blobBytes: manifest.blobs.reduce((n, b) => n + b.bytes, 0),
        replaced: nonEmpty.length > 0,
      };
    } catch (e) {
      const orphans = written.filter((k) => !inUse.has(k));
      if (orphans.length > 0) await this.blobs.delete(orphans).catch(() => undefined);
      throw e;
    }
  }

  private async counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const spec of TRANSFER_TABLES) {
      const r = await this.db.selectFrom(spec.name).select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
      out[spec.name] = Number((r as { n: number | string } | undefined)?.n ?? 0);
    }
    return out;
  }

  /** Reads and checks every entry; writes the images; returns the rows. */
  private async readArchive(o: ImportOptions, written: string[]): Promise<{ manifest: Manifest; rows: Map<string, Row[]> }> {
    const source = await openArchive(o.file);
    const extract = tar.extract();
    source.on('error', (e) => extract.destroy(e));
    source.pipe(extract);

    let manifest: Manifest | null = null;
    const tablesByFile = new Map<string, ManifestTable>();
    const blobsByFile = new Map<string, ManifestBlob>();
    const seen = new Set<string>();
    const rows = new Map<string, Row[]>();
    let referenced: string[] | null = null;
    let entries = 0;
    let totalEntries = 0;
    try {
      for await (const entry of extract) {
        const { name, type, size } = entry.header;
        if (type !== 'file') fail(`unexpected ${type} entry ${JSON.stringify(name)} in the archive`);
        if (manifest === null) {
          if (name !== MANIFEST_NAME) fail(`the archive does not start with ${MANIFEST_NAME}: not a Plumage archive`);
          if ((size ?? 0) > MAX_MANIFEST_BYTES) fail('the manifest is too large');
          manifest = parseManifest(await readEntry(entry, MAX_MANIFEST_BYTES, MANIFEST_NAME));
          for (const t of manifest.tables) tablesByFile.set(t.file, t);
          for (const b of manifest.blobs) blobsByFile.set(b.file, b);
          totalEntries = 1 + manifest.tables.length + manifest.blobs.length;
          o.onProgress?.({ phase: 'read', done: ++entries, total: totalEntries });
          continue;
        }
        if (seen.has(name)) fail(`${name} appears twice in the archive`);
        seen.add(name);
        const table = tablesByFile.get(name);
        const blob = blobsByFile.get(name);
        const expect = table ?? blob;
        if (!expect) fail(`the archive holds ${JSON.stringify(name).slice(0, 200)}, which the manifest does not list`);
        if (size !== expect.bytes) fail(`${name} is ${size} bytes; the manifest says ${expect.bytes}: the archive is corrupt`);
        const body = await readEntry(entry, expect.bytes, name);
        if (body.length !== expect.bytes) fail(`${name} is cut short: the archive is truncated`);
        if (sha256(body) !== expect.sha256) fail(`${name} does not match its checksum: the archive is corrupt`);
        if (table) {
          if (referenced !== null) fail(`${name} comes after images: not an archive made by plumage export`);
          const spec = TRANSFER_TABLES.find((s) => s.name === table.name)!;
          rows.set(spec.name, parseRows(spec, body, table.rows));
        } else {
          // The first image: every table is in, so the images the rows need are known. An
          // archive that lacks one is refused before any image is written.
          referenced ??= this.checkReferences(manifest, tablesByFile, seen, rows);
          await this.blobs.put(blob!.key, body, blob!.content_type);
          written.push(blob!.key);
        }
        o.onProgress?.({ phase: 'read', done: ++entries, total: totalEntries });
      }
    } catch (e) {
      extract.destroy();
      source.destroy();
      if (e instanceof ImportError) throw e;
      const msg = (e as Error).message ?? String(e);
      // tar-stream and zlib errors: the bytes are not a well-formed archive.
      if (/unexpected end|unexpected eof|end of file|truncated/i.test(msg)) fail(`the archive is truncated (${msg}); nothing was imported`);
      if (/invalid|checksum|header|incorrect|zlib|gzip|unknown compression/i.test(msg) || (e as { code?: string }).code?.startsWith('Z_')) {
        fail(`the archive is corrupt (${msg}); nothing was imported`);
      }
      throw e;
    }
    if (manifest === null) fail('the archive holds no manifest: it is empty or not a Plumage archive');
    const missing = [...tablesByFile.keys(), ...blobsByFile.keys()].filter((f) => !seen.has(f));
    if (missing.length > 0) fail(`the archive is truncated: ${missing.length} of its entries are missing (first: ${missing[0]}); nothing was imported`);
    referenced ??= this.checkReferences(manifest, tablesByFile, seen, rows);
    return { manifest, rows };
  }

  private checkReferences(manifest: Manifest, tables: Map<string, ManifestTable>, seen: Set<string>, rows: Map<string, Row[]>): string[] {
    const unread = [...tables.keys()].filter((f) => !seen.has(f));
    if (unread.length > 0) fail(`${unread[0]} is missing or comes after the images: the archive is corrupt`);
    const keys = referencedBlobKeys(rows.get('users') ?? []);
    const listed = new Set(manifest.blobs.map((b) => b.key));
    const absent = keys.filter((k) => !listed.has(k));
    if (absent.length > 0) fail(`the archive lacks ${absent.length} image(s) its accounts use (first: ${absent[0]}); nothing was imported`);
    return keys;
  }
}
