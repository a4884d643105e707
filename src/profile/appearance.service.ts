// Avatar, background image and banner: the seed's image endpoints. Each upload is decoded and
// processed completely, written under fresh keys, and only then switched in with one
// statement; the blobs it replaced are deleted after the switch (DESIGN rules 5 and 6), once
// the switch is durable, without holding up the answer. A failure before the switch removes
// what it wrote and leaves the profile as it was.
import crypto from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { IdGenerator } from '../ids.ts';
import type { AvatarPlan, AvatarVariantName, ImageProcessor, BannerCrop, EncodedImage } from '../images/index.ts';
import { BannerCropOutOfBoundsError } from '../images/errors.ts';
import { BANNER_POLICY } from '../images/variant-policy.ts';
import type { BlobStore } from '../storage/blobs/blob-store.ts';
import { avatarKey, avatarKeys, backgroundKey, bannerKey } from '../storage/blobs/keys.ts';
import type { UserPatch, UsersRepository } from '../storage/db/users.repository.ts';
import { MissingParameterError, UserNotFoundError, ProfileError } from './errors.ts';
import { findImage } from './image-input.ts';
import type { Params } from './params.ts';
import { isTruthy } from './rules.ts';
import type { User } from './user.ts';

/** A blob write failed: nothing was switched (seed: "Write operation failed"). */
export class WriteFailedError extends ProfileError {
  override name = 'WriteFailedError';
}
/** users/profile_banner for a user without a banner. */
export class NoBannerError extends ProfileError {
  override name = 'NoBannerError';
}

export interface BannerSize {
  w: number;
  h: number;
  url: string;
}

const CROP_PARAMS = ['width', 'height', 'offset_left', 'offset_top'] as const;

/**
 * A stored image's name under its new id: 64 random bits, so that the URL of an image not yet
 * switched in cannot be guessed. (It used to be a hash of the upload: that cost a pass over
 * up to 700 KB on the event loop for every upload and bought nothing, since the id is new.)
 */
function storedName(id: string, extension: string): string {
  return `${id}/${crypto.randomBytes(8).toString('hex')}.${extension}`;
}

export function bannerKeys(stored: string): string[] {
  return BANNER_POLICY.variants.map((v) => bannerKey(stored, v.name));
}

export class AppearanceService {
  /** Last banner second handed out per user: uploads racing within one second get distinct keys. */
  private readonly lastBannerSecond = new Map<string, number>();
  /** Deletions of replaced blobs still running (settled() waits for them). */
  private readonly cleanups = new Set<Promise<void>>();

  constructor(
    private readonly users: UsersRepository,
    private readonly blobs: BlobStore,
    private readonly images: ImageProcessor,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly onCleanupError: (err: unknown, keys: readonly string[]) => void = () => {},
  ) {}

  /**
   * POST account/update_profile_image. Each variant is stored as soon as it is encoded, while
   * the others are still being made; the switch waits for all of them.
   */
  async updateAvatar(userId: string, params: Params): Promise<User> {
    const keys: string[] = [];
    const puts: Promise<void>[] = [];
    const id = this.ids.next();
    let stored: string | undefined;
    // Variants that are one encode stored under two names (a square photo's original and its
    // 400x400) arrive with the same bytes: the second put names the first, once that is stored.
    const first = new Map<Buffer, { key: string; put: Promise<void> }>();
    const keyOf = (name: AvatarVariantName, extension: string) => avatarKey((stored ??= storedName(id, extension)), name === 'original' ? null : name);
    // Once decoded, the store may make every file while the variants are encoded (prepare);
    // the prepared keys are this upload's from then on, and removed with it should it fail.
    const planned = (plan: AvatarPlan<AvatarVariantName>): void => {
      const entries = plan.variants.map((v) => ({ key: keyOf(v.name, plan.extension), sameAs: v.sameAs && keyOf(v.sameAs, plan.extension) }));
      keys.push(...entries.map((e) => e.key));
      this.blobs.prepare?.(entries);
    };
    const store = (v: EncodedImage<AvatarVariantName>): void => {
      const key = keyOf(v.name, v.extension);
      if (!keys.includes(key)) keys.push(key);
      const same = first.get(v.bytes);
      const put = same
        ? same.put.then(() => this.blobs.put(key, v.bytes, v.contentType, same.key))
        : this.blobs.put(key, v.bytes, v.contentType);
      if (!same) first.set(v.bytes, { key, put });
      // Looked at once processing is over (switchAfterWrites); not an unhandled rejection meanwhile.
      put.catch(() => undefined);
      puts.push(put);
    };
    try {
      await processUpload(params, ['image'], (bytes) => this.images.avatar(bytes, { planned, encoded: store }));
    } catch (e) {
      await Promise.allSettled(puts);
      await this.cleanup(keys);
      throw e;
    }
    return this.switchAfterWrites(userId, keys, puts, { profileImage: stored! }, (before) =>
      before.profileImage ? avatarKeys(before.profileImage) : [],
    );
  }

  /** POST account/update_profile_background_image: image (or the seed's `file`), tile, use. */
  async updateBackground(userId: string, params: Params): Promise<User> {
    const bytes = findImage(params, ['image', 'file']);
    const tile = params.get('tile');
    const use = params.get('use');
    if (bytes === undefined && tile === undefined && use === undefined) {
      throw new MissingParameterError(['image', 'tile', 'use'], 'At least one of them is required.');
    }
    const patch: UserPatch = {};
    if (tile !== undefined) patch.backgroundTile = isTruthy(tile);
    if (use !== undefined) patch.useBackgroundImage = isTruthy(use);
    if (bytes === undefined) {
      // Twitter: "An error will be returned if you try to use a background image when one is
      // not being uploaded or does not exist."
      if (patch.useBackgroundImage === true) {
        const current = await this.users.findById(userId);
        if (!current) throw new UserNotFoundError();
        if (current.backgroundImage === null) {
          throw new MissingParameterError(['image'], 'use=true needs a background image, uploaded with this request or before.');
        }
      }
      return this.switchOnly(userId, patch, () => []);
    }
    // The upload's bytes may live in a reused buffer: released once processed.
    let image: EncodedImage<'background'>;
    try {
      image = await this.images.background(bytes);
    } finally {
      params.releaseFiles?.();
    }
    const stored = storedName(this.ids.next(), image.extension);
    patch.backgroundImage = stored;
    return this.writeThenSwitch(userId, [[backgroundKey(stored), image]], patch, (before) =>
      before.backgroundImage ? [backgroundKey(before.backgroundImage)] : [],
    );
  }

  /** POST account/update_profile_banner: banner, and the crop region all or none. */
  async updateBanner(userId: string, params: Params): Promise<void> {
    const variants = await processUpload(params, ['banner'], (bytes) => this.images.banner(bytes, parseCrop(params)));
    const current = await this.users.findById(userId);
    if (!current) throw new UserNotFoundError();
    const stored = `${userId}/${this.bannerTimestamp(userId, current.banner)}`;
    await this.writeThenSwitch(userId, variants.map((v) => [bannerKey(stored, v.name), v] as const), { banner: stored }, (before) =>
      before.banner ? bannerKeys(before.banner) : [],
    );
  }

  /** POST account/remove_profile_banner. */
  async removeBanner(userId: string): Promise<void> {
    await this.switchOnly(userId, { banner: null }, (before) => (before.banner ? bannerKeys(before.banner) : []));
  }

  /** GET users/profile_banner: the sizes map, or NoBannerError. */
  bannerSizes(user: User, bannerUrl: string | null): Record<string, BannerSize> {
    if (user.banner === null || bannerUrl === null) throw new NoBannerError('This user has no profile banner.');
    const sizes: Record<string, BannerSize> = {};
    for (const v of BANNER_POLICY.variants) sizes[v.name] = { w: v.width, h: v.height, url: `${bannerUrl}/${v.name}` };
    return sizes;
  }

  /**
   * Unix seconds, as in Twitter's banner URLs, but never a value this process or the current
   * banner already used: a key must not be written twice.
   */
  private bannerTimestamp(userId: string, current: string | null): number {
    const now = Math.floor(this.clock.now() / 1000);
    for (const [u, sec] of this.lastBannerSecond) if (sec < now - 5) this.lastBannerSecond.delete(u);
    const currentSecond = current === null ? 0 : Number(current.split('/')[1]);
    const s = Math.max(now, (this.lastBannerSecond.get(userId) ?? 0) + 1, currentSecond + 1);
    this.lastBannerSecond.set(userId, s);
    return s;
  }

  private writeThenSwitch(
    userId: string,
    writes: ReadonlyArray<readonly [string, EncodedImage]>,
    patch: UserPatch,
    replaced: (before: User) => string[],
  ): Promise<User> {
    const keys = writes.map(([k]) => k);
    const puts = writes.map(([key, img]) => this.blobs.put(key, img.bytes, img.contentType));
    return this.switchAfterWrites(userId, keys, puts, patch, replaced);
  }

  /** Once every write has landed, the switch; a failed write or switch removes what was written. */
  private async switchAfterWrites(
    userId: string,
    keys: readonly string[],
    puts: readonly Promise<void>[],
    patch: UserPatch,
    replaced: (before: User) => string[],
  ): Promise<User> {
    const results = await Promise.allSettled(puts);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.cleanup(keys);
      throw new WriteFailedError('The image could not be stored.', { cause: failed.reason });
    }
    try {
      // New keys are under a new id and cannot equal a replaced one; never delete what we wrote.
      return await this.switchOnly(userId, patch, (before) => replaced(before).filter((k) => !keys.includes(k)));
    } catch (e) {
      await this.cleanup(keys);
      throw e;
    }
  }

  private async switchOnly(userId: string, patch: UserPatch, replaced: (before: User) => string[]): Promise<User> {
    const res = await this.users.updateReturningPrevious(userId, patch);
    if (!res) throw new UserNotFoundError();
    const stale = replaced(res.before);
    if (stale.length > 0) this.cleanupAfterDurable(stale);
    return res.after;
  }

  /**
   * Deletes what a switch replaced, after the answer: first the switch is made to survive a
   * power loss (users.durable()), then the blobs go. Were they deleted before that, a power
   * loss could roll the row back onto files that no longer exist; until then, the replaced
   * URLs keep working, and a crash in between leaves them to `plumage gc`.
   */
  private cleanupAfterDurable(keys: readonly string[]): void {
    const run = this.users
      .durable()
      .then(
        () => this.cleanup(keys),
        (e: unknown) => this.onCleanupError(e, keys),
      )
      // Nobody awaits this: a throwing onCleanupError must not become an unhandled rejection.
      .catch(() => undefined);
    this.cleanups.add(run);
    void run.finally(() => this.cleanups.delete(run));
  }

  /** Resolves once every deletion of replaced blobs started so far has finished. */
  async settled(): Promise<void> {
    while (this.cleanups.size > 0) await Promise.all([...this.cleanups]);
  }

  /** Best effort: what cannot be deleted now is left to `plumage gc`. */
  private async cleanup(keys: readonly string[]): Promise<void> {
    try {
      await this.blobs.delete(keys);
    } catch (e) {
      this.onCleanupError(e, keys);
    }
  }
}

/**
 * Finds the image under the first of `names` (MissingParameterError when none) and processes
 * it. The upload's bytes may live in a reused buffer (src/http/upload-buffers.ts): they are
 * released once processing has finished, whatever its outcome, and not used afterwards.
 */
async function processUpload<T>(params: Params, names: readonly string[], process: (bytes: Buffer) => Promise<T>): Promise<T> {
  const bytes = findImage(params, names);
  if (bytes === undefined) throw new MissingParameterError([...names]);
  try {
    return await process(bytes);
  } finally {
    params.releaseFiles?.();
  }
}

function parseCrop(params: Params): BannerCrop | undefined {
  const given = CROP_PARAMS.filter((p) => params.get(p) !== undefined);
  if (given.length === 0) return undefined;
  if (given.length < CROP_PARAMS.length) {
    const missing = CROP_PARAMS.filter((p) => !given.includes(p));
    throw new MissingParameterError(missing, 'width, height, offset_left and offset_top go together: give all four or none.');
  }
  const n = (p: (typeof CROP_PARAMS)[number]) => {
    const raw = params.get(p)!.trim();
    if (!/^\d{1,6}$/.test(raw)) throw new BannerCropOutOfBoundsError(`${p} must be a whole number of pixels`);
    return Number(raw);
  };
  return { width: n('width'), height: n('height'), offset_left: n('offset_left'), offset_top: n('offset_top') };
}
