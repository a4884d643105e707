// The image pipeline's front door for services: inspect, then transform, per kind of image,
// each kind with its own limits. Callers see only the named errors of errors.ts and never a
// sharp type.

import { inspectForOneFrame, inspectImage } from './inspect.ts';
import type { AvatarEvents, BannerCrop, EncodedImage, ImageLimits } from './image.types.ts';
// sharp and libvips take a noticeable part of start-up; transform.ts is imported on first use
// (or by preload(), which the server calls once it is listening).
const loadTransform = () => import('./transform.ts');
import type { AvatarVariantName, BannerVariantName } from './variant-policy.ts';

export * from './errors.ts';
export type { AvatarEvents, AvatarPlan, BannerCrop, EncodedImage, ImageInfo, ImageLimits, ImageType } from './image.types.ts';
export { inspectImage, sniffType } from './inspect.ts';
export {
  AVATAR_POLICY,
  BACKGROUND_POLICY,
  BANNER_POLICY,
  DEFAULT_IMAGE_LIMITS,
  checkBannerCrop,
  type AvatarVariantName,
  type BannerVariantName,
} from './variant-policy.ts';

export interface ImageProcessorLimits {
  avatar: ImageLimits;
  background: ImageLimits;
  banner: ImageLimits;
}

export interface ImageProcessor {
  /**
   * The original (at most 400 px wide) and the mini, normal, bigger and 400x400 squares;
   * `events` hears what is coming once the decode is done (planned), then of each variant as
   * soon as it is encoded (encoded), always before the promise settles.
   */
  avatar(bytes: Uint8Array, events?: AvatarEvents<AvatarVariantName>): Promise<EncodedImage<AvatarVariantName>[]>;
  /** One image at most 2048 px wide; animation kept. */
  background(bytes: Uint8Array): Promise<EncodedImage<'background'>>;
  /** The ten banner variants in PNG, after the optional crop region. */
  banner(bytes: Uint8Array, crop?: BannerCrop): Promise<EncodedImage<BannerVariantName>[]>;
  /** Plumage's default avatar at the same names as avatar(); rendered once per process. */
  defaultAvatar(): Promise<EncodedImage<AvatarVariantName>[]>;
  /** Loads the image codecs ahead of the first upload. */
  preload(): Promise<void>;
}

export function createImageProcessor(limits: ImageProcessorLimits): ImageProcessor {
  return {
    async avatar(bytes, events) {
      // Only the first frame is decoded, under the pixel limit.
      const info = await inspectForOneFrame(bytes, limits.avatar);
      return (await loadTransform()).processAvatar(bytes, info, limits.avatar, events);
    },
    async background(bytes) {
      const info = await inspectImage(bytes, limits.background);
      return (await loadTransform()).processBackground(bytes, info, limits.background);
    },
    async banner(bytes, crop) {
      const info = await inspectImage(bytes, limits.banner);
      return (await loadTransform()).processBanner(bytes, info, { maxPixels: limits.banner.maxPixels, crop });
    },
    async defaultAvatar() {
      return (await loadTransform()).renderDefaultAvatar();
    },
    async preload() {
      await loadTransform();
    },
  };
}
