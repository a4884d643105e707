// The sizes Twitter served, as data (reference/twitter-v1.1.md §1.1, §1.2, §1.5, §3), so the
// transform code holds no magic numbers and a test can walk the same tables.

import { BannerCropOutOfBoundsError } from './errors.ts';
import type { BannerCrop, ImageLimits, ImageType } from './image.types.ts';

export type AvatarVariantName = 'original' | 'mini' | 'normal' | 'bigger' | '400x400';

export interface SquareVariant {
  name: Exclude<AvatarVariantName, 'original'>;
  /** Appended to the file name in the URL: `<name>_normal.<ext>`. */
  suffix: string;
  size: number;
}

export const AVATAR_POLICY = {
  /** The original keeps its aspect; 2015+ docs: "Images wider than 400 px are scaled down". */
  original: { name: 'original', suffix: '', maxWidth: 400 },
  /**
   * Square centre crops at the exact size, enlarged when the source is smaller: clients
   * lay these out by size and Twitter's variants always had it (`_400x400` is undocumented
   * but universally used, see §3.1).
   */
  squares: [
    { name: 'mini', suffix: '_mini', size: 24 },
    { name: 'normal', suffix: '_normal', size: 48 },
    { name: 'bigger', suffix: '_bigger', size: 73 },
    { name: '400x400', suffix: '_400x400', size: 400 },
  ],
} as const satisfies {
  original: { name: 'original'; suffix: string; maxWidth: number };
  squares: readonly SquareVariant[];
};

export const BACKGROUND_POLICY = {
  /** "Images wider than 2048 pixels will be forcibly scaled down" (§1.2). */
  maxWidth: 2048,
  /** Backgrounds were shown as uploaded, so an animated GIF (or WebP) stays animated. */
  keepAnimation: true,
} as const;

export type BannerVariantName =
  | 'web'
  | 'web_retina'
  | 'ipad'
  | 'ipad_retina'
  | 'mobile'
  | 'mobile_retina'
  | '300x100'
  | '600x200'
  | '1500x500'
  | '1080x360';

export interface BannerVariant {
  name: BannerVariantName;
  width: number;
  height: number;
}

export const BANNER_POLICY = {
  /** "The profile banner data available at each size variant's URL is in PNG format." */
  format: 'png',
  /** §3.3; `1080x360` is absent from the doc table but present in real 2017+ responses. */
  variants: [
    { name: 'web', width: 520, height: 260 },
    { name: 'web_retina', width: 1040, height: 520 },
    { name: 'ipad', width: 626, height: 313 },
    { name: 'ipad_retina', width: 1252, height: 626 },
    { name: 'mobile', width: 320, height: 160 },
    { name: 'mobile_retina', width: 640, height: 320 },
    { name: '300x100', width: 300, height: 100 },
    { name: '600x200', width: 600, height: 200 },
    { name: '1500x500', width: 1500, height: 500 },
    { name: '1080x360', width: 1080, height: 360 },
  ],
} as const satisfies { format: ImageType; variants: readonly BannerVariant[] };

/** The default avatar is a square drawn by us; its "original" is the largest square. */
export const DEFAULT_AVATAR_POLICY = {
  originalSize: 400,
  format: 'png',
} as const;

/**
 * Defaults for configuration to start from. Byte limits are Twitter's (§1.1 "less than 700
 * kilobytes", measured as tweepy does, ×1024; §1.2 800 KB; §1.5 "<5MB"). The pixel limit is
 * ours: large enough for a 48-megapixel phone photo, small enough that a decompression
 * bomb is refused from its header.
 */
export const DEFAULT_IMAGE_LIMITS = {
  avatar: { maxBytes: 700 * 1024, maxPixels: 50_000_000 },
  background: { maxBytes: 800 * 1024, maxPixels: 50_000_000 },
  banner: { maxBytes: 5 * 1024 * 1024, maxPixels: 50_000_000 },
} as const satisfies Record<'avatar' | 'background' | 'banner', ImageLimits>;

/**
 * A crop region must be whole, non-negative numbers with a positive size and lie inside the
 * image as displayed (after EXIF orientation), because that is the image the client showed
 * its user when it chose the region.
 */
export function checkBannerCrop(crop: BannerCrop, image: { width: number; height: number }): void {
  const fields = ['width', 'height', 'offset_left', 'offset_top'] as const;
  for (const field of fields) {
    const value = crop[field];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new BannerCropOutOfBoundsError(`${field} must be a whole number of pixels, not ${String(value)}`);
    }
  }
  if (crop.width === 0 || crop.height === 0) {
    throw new BannerCropOutOfBoundsError('width and height must be at least 1');
  }
  if (crop.offset_left + crop.width > image.width || crop.offset_top + crop.height > image.height) {
    throw new BannerCropOutOfBoundsError(
      `${crop.width}x${crop.height} at (${crop.offset_left}, ${crop.offset_top}) does not fit in the ${image.width}x${image.height} image`,
    );
  }
}
