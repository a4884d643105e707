// The portable archive of `plumage export` / `plumage import`: a tar file (optionally gzipped)
//
//   manifest.json              format, version, and the size and SHA-256 of every other entry
//   tables/<table>.jsonl       one JSON object per row, columns as listed below
//   blobs/<key>                every image file the rows reference, byte for byte
//
// in that order, so an importer knows every checksum before it reads the data it vouches for.
//
// TRANSFER_TABLES is the one list of what is carried. A migration that adds a table (or a
// column) adds it here too, in foreign-key order (a table after the tables it references);
// archives that lack a newer table import with that table empty.
import type { Kysely } from 'kysely';
import { avatarKeys, backgroundKey, KEY_PREFIXES } from '../storage/blobs/keys.ts';
import { isSafeKey } from '../storage/blobs/blob-store.ts';
import { bannerKeys } from '../profile/appearance.service.ts';

export const ARCHIVE_FORMAT = 'plumage-archive';
export const ARCHIVE_VERSION = 1;
export const MANIFEST_NAME = 'manifest.json';

export type ColumnType = 'text' | 'integer';

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable?: boolean;
}

export interface TableSpec {
  readonly name: string;
  /** Primary key column(s): rows are exported in this order, so archives are reproducible. */
  readonly key: readonly string[];
  readonly columns: readonly ColumnSpec[];
}

const text = (name: string, nullable = false): ColumnSpec => ({ name, type: 'text', nullable });
const int = (name: string, nullable = false): ColumnSpec => ({ name, type: 'integer', nullable });

/** Every table an archive carries, parents before children. */
export const TRANSFER_TABLES: readonly TableSpec[] = [
  {
    name: 'users',
    key: ['id'],
    columns: [
      text('id'), text('screen_name'), text('screen_name_key'), text('name'), text('description'), text('location'),
      text('url', true), text('email', true), int('created_at'),
      text('profile_background_color'), text('profile_link_color'), text('profile_sidebar_border_color'),
      text('profile_sidebar_fill_color'), text('profile_text_color'), int('profile_background_tile'),
      int('profile_use_background_image'), text('profile_image', true), text('profile_background_image', true),
      text('profile_banner', true), int('protected'), int('verified'),
    ],
  },
  {
    name: 'apps',
    key: ['id'],
    columns: [text('id'), text('name'), text('consumer_key'), text('consumer_secret'), text('access_level'), int('created_at')],
  },
  {
    name: 'access_tokens',
    key: ['token'],
    columns: [text('token'), text('secret'), text('app_id'), text('user_id'), text('access_level'), int('created_at'), int('revoked_at', true)],
  },
  {
    name: 'bearer_tokens',
    key: ['token'],
    columns: [text('token'), text('app_id'), int('created_at'), int('revoked_at', true)],
  },
];

export type Row = Record<string, string | number | null>;

/** The blob keys a set of user rows references (avatar variants, background, banner variants). */
export function referencedBlobKeys(users: readonly Row[]): string[] {
  const keys = new Set<string>();
  for (const u of users) {
    if (typeof u.profile_image === 'string') for (const k of avatarKeys(u.profile_image)) keys.add(k);
    if (typeof u.profile_background_image === 'string') keys.add(backgroundKey(u.profile_background_image));
    if (typeof u.profile_banner === 'string') for (const k of bannerKeys(u.profile_banner)) keys.add(k);
  }
  return [...keys].sort();
}

const TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };
export const CONTENT_TYPES = new Set(Object.values(TYPES));

/** The content type a blob is served with: from its extension; banner variants are PNG. */
export function contentTypeOfKey(key: string): string {
  if (key.startsWith('profile_banners/')) return 'image/png';
  return TYPES[key.slice(key.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
}

export function isArchivableKey(key: string): boolean {
  return isSafeKey(key) && KEY_PREFIXES.some((p) => key.startsWith(p));
}

export interface ManifestTable {
  name: string;
  file: string;
  columns: string[];
  rows: number;
  bytes: number;
  sha256: string;
}

export interface ManifestBlob {
  key: string;
  file: string;
  bytes: number;
  sha256: string;
  content_type: string;
}

export interface Manifest {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  created_at: string;
  plumage_version: string;
  source: { database: 'sqlite' | 'postgresql'; blobs: 'filesystem' | 's3' | 'other' };
  tables: ManifestTable[];
  blobs: ManifestBlob[];
}

export const tableFile = (name: string) => `tables/${name}.jsonl`;
export const blobFile = (key: string) => `blobs/${key}`;

/** A table's rows in key order, integer columns as numbers (PostgreSQL hands bigint back as text). */
export async function readTable(db: Kysely<any>, spec: TableSpec): Promise<Row[]> {
  let q = db.selectFrom(spec.name).select(spec.columns.map((c) => c.name));
  for (const k of spec.key) q = q.orderBy(k);
  const rows = (await q.execute()) as Row[];
  for (const row of rows) {
    for (const c of spec.columns) {
      const v = row[c.name];
      if (c.type === 'integer' && v !== null && v !== undefined) row[c.name] = Number(v);
      if (v === undefined) row[c.name] = null;
    }
  }
  return rows;
}
