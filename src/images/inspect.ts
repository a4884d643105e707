// Decides, before any pixel is decompressed, whether an upload may enter the pipeline: the
// type comes from the magic bytes only (never a file name or a Content-Type, which clients get
// wrong or lie about), and the byte and pixel limits are checked against the header so that a
// decompression bomb is refused at the cost of reading a few hundred bytes.

import {
  ImageMissingError,
  ImageTooLargeError,
  ImageTooManyPixelsError,
  ImageUndecodableError,
  ImageUnsupportedTypeError,
} from './errors.ts';
import type { ImageInfo, ImageLimits, ImageType } from './image.types.ts';
// transform.ts (and with it sharp and libvips) is loaded on the first image, not at start-up.
const loadTransform = () => import('./transform.ts');

/** The accepted type of `bytes` judged by its signature alone, or null for anything else. */
export function sniffType(bytes: Uint8Array): ImageType | null {
  if (startsWith(bytes, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  // SOI followed by the first marker's 0xFF: every JPEG variant (JFIF, Exif, raw) starts so.
  if (startsWith(bytes, 0, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, 0, ascii('GIF87a')) || startsWith(bytes, 0, ascii('GIF89a'))) return 'gif';
  if (startsWith(bytes, 0, ascii('RIFF')) && startsWith(bytes, 8, ascii('WEBP'))) return 'webp';
  return null;
}

/**
 * Checks, in this order: any bytes at all, the byte limit, the type, a readable header, the
 * pixel limit for one frame and for all frames together (an animation of small frames can
 * still be a bomb). Throws only the named errors of errors.ts.
 */
export async function inspectImage(bytes: Uint8Array, limits: ImageLimits): Promise<ImageInfo> {
  const type = checkBytes(bytes, limits);

  const header = await (await loadTransform()).readHeader(bytes, limits);
  // The decoder must agree with the signature; a disagreement means the bytes lie.
  if (header.format !== type) throw new ImageUndecodableError();
  if (header.width < 1 || header.height < 1 || header.pages < 1) throw new ImageUndecodableError();

  const framePixels = header.width * header.height;
  if (framePixels > limits.maxPixels || framePixels * header.pages > limits.maxPixels) {
    throw new ImageTooManyPixelsError(limits.maxPixels);
  }

  const info: ImageInfo = {
    type,
    width: header.displayWidth,
    height: header.displayHeight,
    frames: header.pages,
    hasAlpha: header.hasAlpha,
  };
  if (header.orientation !== undefined) info.orientation = header.orientation;
  return info;
}

/**
 * For a pipeline that decodes one frame with the pixel limit set (transform.ts): the checks
 * of inspectImage that the decode would not make itself. A JPEG is one frame, its decoder is
 * the only one that claims its signature, and libvips refuses it from the header when it has
 * too many pixels, before any pixel data is decompressed: a separate header read would repeat
 * exactly that (and cost a pipeline, about 1.7 ms of CPU). Every other type is inspected in
 * full, for its frame count and the agreement of decoder and signature.
 */
export async function inspectForOneFrame(bytes: Uint8Array, limits: ImageLimits): Promise<Pick<ImageInfo, 'type'>> {
  const type = checkBytes(bytes, limits);
  if (type === 'jpeg') return { type };
  return inspectImage(bytes, limits);
}

/** Any bytes at all, the byte limit, an accepted signature: the type. */
function checkBytes(bytes: Uint8Array, limits: ImageLimits): ImageType {
  if (bytes.length === 0) throw new ImageMissingError();
  if (bytes.length > limits.maxBytes) throw new ImageTooLargeError(limits.maxBytes);
  const type = sniffType(bytes);
  if (type === null) throw new ImageUnsupportedTypeError();
  return type;
}

function startsWith(bytes: Uint8Array, offset: number, signature: readonly number[]): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((byte, i) => bytes[offset + i] === byte);
}

function ascii(text: string): number[] {
  return Array.from(text, (c) => c.charCodeAt(0));
}
