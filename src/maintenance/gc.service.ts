// `plumage gc`: deletes blobs that no user row references. Uploads write their blobs before
// switching the row, so a blob younger than the grace period may belong to an upload still in
// flight; those are kept. Ages come from the keys themselves (snowflake ids and banner
// timestamps), so this works the same on every blob store.
import type { Clock } from '../clock.ts';
import { idTimestamp, isIdString } from '../ids.ts';
import type { BlobStore } from '../storage/blobs/blob-store.ts';
import { KEY_PREFIXES, avatarKeys, backgroundKey } from '../storage/blobs/keys.ts';
import type { UsersRepository } from '../storage/db/users.repository.ts';
import { bannerKeys } from '../profile/appearance.service.ts';

export interface GcProgress {
  scanned: number;
  deleted: number;
  kept: number;
  /** Unreferenced but younger than the grace period. */
  young: number;
}

export interface GcOptions {
  graceMs: number;
  dryRun: boolean;
  onProgress?: (p: Readonly<GcProgress>) => void;
  /** How many keys to delete per call to the store. */
  batchSize?: number;
}

/** When the blob under this key was created, or null for a key we did not name. */
export function keyCreatedAt(key: string): number | null {
  const parts = key.split('/');
  if ((parts[0] === 'profile_images' || parts[0] === 'profile_background_images') && parts[1] && isIdString(parts[1])) {
    return idTimestamp(parts[1]);
  }
  if (parts[0] === 'profile_banners' && parts[2] && /^\d{1,12}$/.test(parts[2])) return Number(parts[2]) * 1000;
  return null;
}

export class GcService {
  constructor(
    private readonly users: UsersRepository,
    private readonly blobs: BlobStore,
    private readonly clock: Clock,
  ) {}

  async run(o: GcOptions): Promise<GcProgress> {
    // Read the references first: a row switched after this point only adds keys newer than
    // the grace period, which are kept anyway.
    const refs = await this.users.referencedImages();
    const live = new Set<string>([
      ...refs.profileImages.flatMap(avatarKeys),
      ...refs.backgroundImages.map(backgroundKey),
      ...refs.banners.flatMap(bannerKeys),
    ]);
    const cutoff = this.clock.now() - o.graceMs;
    const p: GcProgress = { scanned: 0, deleted: 0, kept: 0, young: 0 };
    const batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      if (!o.dryRun) await this.blobs.delete(batch);
      p.deleted += batch.length;
      batch.length = 0;
      o.onProgress?.(p);
    };
    for (const prefix of KEY_PREFIXES) {
      for await (const key of this.blobs.list(prefix)) {
        p.scanned++;
        if (live.has(key)) {
          p.kept++;
        } else {
          const created = keyCreatedAt(key);
          if (created === null || created > cutoff) {
            p.young++;
          } else {
            batch.push(key);
            if (batch.length >= (o.batchSize ?? 100)) await flush();
          }
        }
        if (p.scanned % 1000 === 0) o.onProgress?.(p);
      }
    }
    await flush();
    return p;
  }
}
