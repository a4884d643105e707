// Shared shapes of the image pipeline, kept apart so that inspect.ts and transform.ts can
// both use them without importing each other's runtime code, and so that callers never see a
// sharp type.

/** The types we accept, as sniffed from magic bytes. */
export type ImageType = 'gif' | 'jpeg' | 'png' | 'webp';

export interface ImageLimits {
  /** Largest accepted upload, in decoded bytes. */
  maxBytes: number;
  /** Largest accepted width × height, for one frame and for all frames together. */
  maxPixels: number;
}

/** What the header says, read without decompressing the pixel data. */
export interface ImageInfo {
  type: ImageType;
  /** Width of one frame as displayed, i.e. after the EXIF orientation is applied. */
  width: number;
  /** Height of one frame as displayed, i.e. after the EXIF orientation is applied. */
  height: number;
  /** Number of frames (pages); 1 for a still image. */
  frames: number;
  hasAlpha: boolean;
  /** EXIF orientation tag (1–8) when the file carries one. */
  orientation?: number;
}

/** One encoded output image, ready to be stored and served. */
export interface EncodedImage<Name extends string = string> {
  name: Name;
  bytes: Buffer;
  width: number;
  height: number;
  format: ImageType;
  contentType: string;
  /** File extension without the dot, as used in Twitter-style URLs (`jpg`, `png`, …). */
  extension: string;
}

/**
 * What an avatar's processing will hand over, told once its decode is done and before any
 * variant is encoded: every variant's name and file extension, and which are the same encode
 * (`sameAs`: this variant will carry exactly the bytes of that one). A store can make the files
 * while the encodes run, so that each variant then only has its bytes to write.
 */
export interface AvatarPlan<Name extends string = string> {
  extension: string;
  variants: Array<{ name: Name; sameAs?: Name }>;
}

/** Listeners of one avatar's processing; every call comes before its promise settles. */
export interface AvatarEvents<Name extends string = string> {
  /** Once, after the decode, before any `encoded`. */
  planned?(plan: AvatarPlan<Name>): void;
  /** Each variant as soon as it is encoded. */
  encoded?(variant: EncodedImage<Name>): void;
}

/** A banner crop region in displayed source pixels, as sent in update_profile_banner. */
export interface BannerCrop {
  width: number;
  height: number;
  offset_left: number;
  offset_top: number;
}
