// The one file that imports sharp (DESIGN.md rule 4): every decode, resize and encode goes
// through here, with the same safety options, and every sharp failure leaves as one of the
// named errors in errors.ts.
//
// Avatars and banners are made in two steps: decode once into a small raw intermediate
// (oriented, sRGB, 8-bit, cropped, shrunk only as far as the largest variant allows, which
// lets JPEG shrink-on-load do most of the work), then encode each variant from that. A
// failure in the first step is the upload's fault (undecodable, too many pixels); a failure
// in the second is ImageNotResizableError.
//
// Metadata: sharp writes none unless keepMetadata/withMetadata/keepExif/keepIccProfile is
// called, and none of them is called here. Outputs are converted to sRGB (CMYK through
// libvips' built-in profile when the file has none), so no ICC profile is needed.

import os from 'node:os';
import sharp, { type Metadata, type Sharp, type SharpOptions } from 'sharp';
import {
  ImageNotResizableError,
  ImageTooManyPixelsError,
  ImageUndecodableError,
  ImageUnsupportedTypeError,
} from './errors.ts';
import { drawDefaultAvatar } from './default-avatar.ts';
import type { AvatarEvents, BannerCrop, EncodedImage, ImageInfo, ImageType } from './image.types.ts';
import {
  AVATAR_POLICY,
  BACKGROUND_POLICY,
  BANNER_POLICY,
  DEFAULT_AVATAR_POLICY,
  checkBannerCrop,
  type AvatarVariantName,
  type BannerVariantName,
  type SquareVariant,
} from './variant-policy.ts';

// libvips' operation cache memoises operations on identical inputs; uploads are never
// identical, so it would only hold memory.
sharp.cache(false);
// libvips worker threads per pipeline. One while several images are processed at once
// (sharp's own default on glibc without jemalloc): parallelism then comes from the uploads
// themselves, on libuv's pool, one large upload cannot take every core from the others, and
// fewer threads fragment the allocator less. An image processed alone gets a second thread,
// which makes it about 9% sooner on two cores (docs/benchmarks.md); four concurrent avatars
// were 2% slower with two threads each, so the second one goes as soon as another image comes.
const LONE_THREADS = Math.min(2, Math.max(1, os.availableParallelism()));
let processing = 0;
sharp.concurrency(LONE_THREADS);

/**
 * Runs one image's processing, counted: libvips reads the thread count as each pipeline
 * starts, so the pipelines of an image processed alone start with LONE_THREADS, and those
 * started while another image is processed with one.
 */
async function counted<T>(work: () => Promise<T>): Promise<T> {
  if (++processing === 2) sharp.concurrency(1);
  try {
    return await work();
  } finally {
    if (--processing === 1) sharp.concurrency(LONE_THREADS);
  }
}
// Only the loaders of the four accepted types may run, process-wide: inspectImage already
// refuses every other signature, and this keeps SVG, TIFF, HEIF, PDF, ImageMagick and the rest
// unreachable even if a caller skips inspection. A blocked loader is skipped during
// detection, so a JPEG with an Ultra HDR gain map falls through to the plain JPEG loader.
// File and stream variants stay open so that test code may hand sharp a path.
sharp.block({ operation: ['VipsForeignLoad'] });
sharp.unblock({
  // Nsgif is libvips' built-in GIF decoder; Gif is its name in builds that use giflib.
  operation: ['Jpeg', 'Png', 'Nsgif', 'Gif', 'Webp'].flatMap((type) =>
    ['Buffer', 'File', 'Source'].map((from) => `VipsForeignLoad${type}${from}`),
  ),
});

/**
 * 'error' rejects truncated files and corrupt pixel data instead of returning a half-grey
 * image, while tolerating warnings that real cameras and editors produce (extraneous bytes
 * before a JPEG marker, an incorrect sRGB iCCP chunk), which 'warning' would refuse.
 */
const FAIL_ON = 'error' as const;

export interface TransformOptions {
  /** Passed to sharp as limitInputPixels: a second guard behind inspectImage's header check. */
  maxPixels: number;
}

export interface BannerTransformOptions extends TransformOptions {
  crop?: BannerCrop | undefined;
}

/** What sharp reads from the header without decompressing the pixel data. */
export interface ImageHeader {
  /** sharp's name of the decoder: `jpeg`, `png`, `gif` or `webp` (the only loaders left open). */
  format: string;
  /** Stored width of one frame (EXIF orientation not applied). */
  width: number;
  /** Stored height of one frame (EXIF orientation not applied). */
  height: number;
  /** Width and height of one frame as displayed, with the EXIF orientation applied. */
  displayWidth: number;
  displayHeight: number;
  pages: number;
  hasAlpha: boolean;
  orientation?: number;
}

const CONTENT_TYPES: Record<ImageType, string> = {
  gif: 'image/gif',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};

const EXTENSIONS: Record<ImageType, string> = {
  gif: 'gif',
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
};

/** Reads the header only; pixel data stays compressed, so a decompression bomb costs nothing. */
export async function readHeader(bytes: Uint8Array, options: TransformOptions): Promise<ImageHeader> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { failOn: FAIL_ON, limitInputPixels: options.maxPixels }).metadata();
  } catch (err) {
    throw toDecodeError(err, options.maxPixels);
  }
  const pageHeight = meta.pageHeight ?? meta.height;
  const swapped = meta.orientation !== undefined && meta.orientation >= 5 && meta.orientation <= 8;
  const header: ImageHeader = {
    format: meta.format,
    width: meta.width,
    height: pageHeight,
    displayWidth: swapped ? pageHeight : meta.width,
    displayHeight: swapped ? meta.width : pageHeight,
    pages: meta.pages ?? 1,
    hasAlpha: meta.hasAlpha,
  };
  if (meta.orientation !== undefined) header.orientation = meta.orientation;
  return header;
}

/**
 * The avatar: EXIF orientation applied, sRGB, no metadata, first frame only ("Animated GIFs
 * are converted to a static GIF of the first frame", §1.1), in the upload's own format so the
 * URL's extension matches. Returns the original (at most 400 px wide) and the square variants.
 * `events.planned` hears what is coming once the decode is done, and `events.encoded` of each
 * variant as soon as it is encoded, so that the caller can store it while the others are still
 * being made; every call comes before the returned promise settles.
 */
async function avatar(
  bytes: Uint8Array,
  info: Pick<ImageInfo, 'type'>,
  options: TransformOptions,
  events: AvatarEvents<AvatarVariantName> = {},
): Promise<EncodedImage<AvatarVariantName>[]> {
  const encoded = events.encoded?.bind(events);
  const squareMax = Math.max(...AVATAR_POLICY.squares.map((s) => s.size));
  const base = await decodeToRaw(bytes, options, (img) =>
    // Big enough for the original (400 wide) and for every square (cover of its size).
    img.resize({
      width: Math.max(AVATAR_POLICY.original.maxWidth, squareMax),
      height: squareMax,
      fit: 'outside',
      withoutEnlargement: true,
    }),
  );
  const told = <V extends EncodedImage<AvatarVariantName>>(p: Promise<V>): Promise<V> =>
    encoded ? p.then((v) => (encoded(v), v)) : p;
  // A square upload decoded to exactly a square's size (a square photo of 400 px or more: the
  // usual avatar) makes the original and that square the same pixels, untouched by either
  // resize: they are encoded once and stored under both names.
  const same = AVATAR_POLICY.squares.find(
    (s) => base.width === s.size && base.height === s.size && s.size <= AVATAR_POLICY.original.maxWidth,
  );
  const shared = same
    ? encodeVariant(base, AVATAR_POLICY.original.name, info.type, options, (img) => img).then((original) => {
        const square: EncodedImage<AvatarVariantName> = { ...original, name: same.name };
        encoded?.(original);
        encoded?.(square);
        return { original, square };
      })
    : undefined;
  // The largest encodes are started first: they finish last.
  const original = shared
    ? shared.then((s) => s.original)
    : told(
        encodeVariant(base, AVATAR_POLICY.original.name, info.type, options, (img) =>
          img.resize({ width: AVATAR_POLICY.original.maxWidth, withoutEnlargement: true }),
        ),
      );
  const started = new Map<SquareVariant, Promise<EncodedImage<AvatarVariantName>>>();
  for (const square of [...AVATAR_POLICY.squares].sort((a, b) => b.size - a.size)) {
    started.set(
      square,
      square === same
        ? shared!.then((s) => s.square)
        : told(
            encodeVariant(base, square.name, info.type, options, (img) =>
              img.resize(square.size, square.size, { fit: 'cover', position: 'centre' }),
            ),
          ),
    );
  }
  const squares = AVATAR_POLICY.squares.map((square) => started.get(square)!);
  // Told once every encode has been handed to libuv's pool: what the listener does now (a
  // store making the files) runs while they encode, and none of them has been told of yet.
  events.planned?.({
    extension: EXTENSIONS[info.type],
    variants: [
      { name: AVATAR_POLICY.original.name },
      ...AVATAR_POLICY.squares.map((s) => (s === same ? { name: s.name, sameAs: AVATAR_POLICY.original.name } : { name: s.name })),
    ],
  });
  // Every encode has finished, one way or the other, before this settles: no variant is
  // handed to events.encoded after a failure has been reported.
  const settled = await Promise.allSettled([original, ...squares]);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<EncodedImage<AvatarVariantName>>).value);
}

/**
 * The profile background: one image at most 2048 px wide; an animated GIF or WebP keeps all
 * its frames, timing and loop count.
 */
async function background(
  bytes: Uint8Array,
  info: ImageInfo,
  options: TransformOptions,
): Promise<EncodedImage<'background'>> {
  const animated = BACKGROUND_POLICY.keepAnimation && info.frames > 1;
  try {
    let img = sharp(bytes, {
      ...inputOptions(options),
      animated,
      // sharp refuses to rotate multi-page images ("Rotate is not supported"), and GIF has
      // no EXIF anyway; an animated WebP keeps its stored orientation.
      autoOrient: !animated,
    });
    img = img.resize({ width: BACKGROUND_POLICY.maxWidth, withoutEnlargement: true });
    const { data, info: out } = await encode(img, info.type).toBuffer({ resolveWithObject: true });
    return output('background', data, out.width, out.pageHeight ?? out.height, info.type);
  } catch (err) {
    // The header was read by inspectImage and the output is never larger than the input,
    // so a failure here is bad pixel data, not an impossible resize.
    throw toDecodeError(err, options.maxPixels);
  }
}

/**
 * The banner: an optional crop region in displayed source pixels, then each variant of
 * BANNER_POLICY centre-cropped (cover) to its exact size, in PNG.
 */
async function banner(
  bytes: Uint8Array,
  info: ImageInfo,
  options: BannerTransformOptions,
): Promise<EncodedImage<BannerVariantName>[]> {
  const { crop } = options;
  if (crop) checkBannerCrop(crop, info);
  const maxWidth = Math.max(...BANNER_POLICY.variants.map((v) => v.width));
  const maxHeight = Math.max(...BANNER_POLICY.variants.map((v) => v.height));
  const base = await decodeToRaw(bytes, options, (img) => {
    const region = crop
      ? img.extract({ left: crop.offset_left, top: crop.offset_top, width: crop.width, height: crop.height })
      : img;
    return region.resize({ width: maxWidth, height: maxHeight, fit: 'outside', withoutEnlargement: true });
  });
  return Promise.all(
    BANNER_POLICY.variants.map((variant) =>
      encodeVariant(base, variant.name, BANNER_POLICY.format, options, (img) =>
        img.resize(variant.width, variant.height, { fit: 'cover', position: 'centre' }),
      ),
    ),
  );
}

/** The avatar, the background and the banner, each counted as one image being processed. */
export const processAvatar = (...args: Parameters<typeof avatar>) => counted(() => avatar(...args));
export const processBackground = (...args: Parameters<typeof background>) => counted(() => background(...args));
export const processBanner = (...args: Parameters<typeof banner>) => counted(() => banner(...args));

let defaultAvatar: Promise<EncodedImage<AvatarVariantName>[]> | undefined;

/**
 * Plumage's own default avatar (default-avatar.ts) as a 400×400 original plus the square
 * variants, in PNG. Rendered once per process; a failed render is retried on the next call.
 */
export function renderDefaultAvatar(): Promise<EncodedImage<AvatarVariantName>[]> {
  defaultAvatar ??= renderDefaultAvatarOnce().catch((err: unknown) => {
    defaultAvatar = undefined;
    throw err;
  });
  return defaultAvatar;
}

async function renderDefaultAvatarOnce(): Promise<EncodedImage<AvatarVariantName>[]> {
  const size = DEFAULT_AVATAR_POLICY.originalSize;
  const base = drawDefaultAvatar(size);
  const options = { maxPixels: size * size };
  const sizes: { name: AvatarVariantName; size: number }[] = [
    { name: AVATAR_POLICY.original.name, size },
    ...AVATAR_POLICY.squares,
  ];
  return Promise.all(
    sizes.map((v) =>
      encodeVariant(base, v.name, DEFAULT_AVATAR_POLICY.format, options, (img) => img.resize(v.size, v.size)),
    ),
  );
}

interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

function inputOptions(options: TransformOptions): SharpOptions {
  return { failOn: FAIL_ON, limitInputPixels: options.maxPixels, autoOrient: true };
}

/** Step one: decode the first frame, oriented and in 8-bit sRGB, into raw pixels. */
async function decodeToRaw(
  bytes: Uint8Array,
  options: TransformOptions,
  shape: (img: Sharp) => Sharp,
): Promise<RawImage> {
  try {
    const { data, info } = await shape(sharp(bytes, { ...inputOptions(options), pages: 1 }))
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (err) {
    throw toDecodeError(err, options.maxPixels);
  }
}

/** Step two: one variant from the raw intermediate. */
async function encodeVariant<Name extends string>(
  base: RawImage,
  name: Name,
  format: ImageType,
  options: TransformOptions,
  shape: (img: Sharp) => Sharp,
): Promise<EncodedImage<Name>> {
  try {
    const img = shape(
      sharp(base.data, {
        raw: { width: base.width, height: base.height, channels: base.channels },
        limitInputPixels: options.maxPixels,
      }),
    );
    const { data, info } = await encode(img, format).toBuffer({ resolveWithObject: true });
    return output(name, data, info.width, info.height, format);
  } catch (err) {
    throw new ImageNotResizableError({ cause: err });
  }
}

function encode(img: Sharp, format: ImageType): Sharp {
  switch (format) {
    case 'jpeg':
      // JPEG has no alpha; only reached with alpha if a policy switches PNG banners to JPEG.
      return img.flatten({ background: '#ffffff' }).jpeg({ quality: 85, progressive: true });
    case 'png':
      // Adaptive filtering: markedly smaller photo banners for a little more encode time.
      return img.png({ compressionLevel: 6, adaptiveFiltering: true });
    case 'webp':
      return img.webp({ quality: 85 });
    case 'gif':
      return img.gif();
  }
}

function output<Name extends string>(
  name: Name,
  bytes: Buffer,
  width: number,
  height: number,
  format: ImageType,
): EncodedImage<Name> {
  return { name, bytes, width, height, format, contentType: CONTENT_TYPES[format], extension: EXTENSIONS[format] };
}

/** sharp reports failures as plain Errors; their messages are the only thing to go by. */
function toDecodeError(err: unknown, maxPixels: number): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (/exceeds pixel limit/i.test(message)) return new ImageTooManyPixelsError(maxPixels, { cause: err });
  // Only when no unblocked loader recognises the bytes: a caller skipped inspectImage.
  if (/unsupported image format/i.test(message)) return new ImageUnsupportedTypeError();
  return new ImageUndecodableError({ cause: err });
}
