// Image pipeline failures as small named errors. The pipeline never speaks HTTP: the one
// catalogue in src/http/twitter-errors.ts maps each class (or its `kind`) to a status and a
// Twitter code. Messages are safe to show to the uploader: they name no file paths or
// library internals.

/** No bytes at all: the part or parameter was present but empty. */
export class ImageMissingError extends Error {
  override readonly name = 'ImageMissingError';
  readonly kind = 'image_missing';
  constructor() {
    super('No image data was sent.');
  }
}

/** Bytes that claim a supported type (by magic) but cannot be decoded, or stop short. */
export class ImageUndecodableError extends Error {
  override readonly name = 'ImageUndecodableError';
  readonly kind = 'image_undecodable';
  constructor(options?: { cause?: unknown }) {
    super('The image could not be decoded; it may be corrupt or truncated.', options);
  }
}

/** Valid bytes of a type we do not accept (SVG, HTML, BMP, TIFF, AVIF, …) or unknown magic. */
export class ImageUnsupportedTypeError extends Error {
  override readonly name = 'ImageUnsupportedTypeError';
  readonly kind = 'image_unsupported_type';
  constructor() {
    super('Unsupported image type; send a GIF, JPEG, PNG or WebP image.');
  }
}

/** More bytes than the limit for this kind of image. */
export class ImageTooLargeError extends Error {
  override readonly name = 'ImageTooLargeError';
  readonly kind = 'image_too_large';
  readonly maxBytes: number;
  constructor(maxBytes: number) {
    super(`The image is larger than ${formatBytes(maxBytes)}.`);
    this.maxBytes = maxBytes;
  }
}

/** Width × height (one frame, or all frames together) above the pixel limit: a decompression bomb or just too big. */
export class ImageTooManyPixelsError extends Error {
  override readonly name = 'ImageTooManyPixelsError';
  readonly kind = 'image_too_many_pixels';
  readonly maxPixels: number;
  constructor(maxPixels: number, options?: { cause?: unknown }) {
    super(`The image has more than ${formatPixels(maxPixels)}.`, options);
    this.maxPixels = maxPixels;
  }
}

/** A valid, decodable image from which the variants could not be produced. */
export class ImageNotResizableError extends Error {
  override readonly name = 'ImageNotResizableError';
  readonly kind = 'image_not_resizable';
  constructor(options?: { cause?: unknown }) {
    super('The image could not be resized.', options);
  }
}

/** A banner crop region (width, height, offset_left, offset_top) that is not whole numbers inside the image. */
export class BannerCropOutOfBoundsError extends Error {
  override readonly name = 'BannerCropOutOfBoundsError';
  readonly kind = 'banner_crop_out_of_bounds';
  constructor(detail: string) {
    super(`The crop region is invalid: ${detail}.`);
  }
}

export type ImageError =
  | ImageMissingError
  | ImageUndecodableError
  | ImageUnsupportedTypeError
  | ImageTooLargeError
  | ImageTooManyPixelsError
  | ImageNotResizableError
  | BannerCropOutOfBoundsError;

function formatPixels(n: number): string {
  return n >= 1_000_000 ? `${Math.round(n / 100_000) / 10} megapixels` : `${n} pixels`;
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KB`;
  return `${n} bytes`;
}
