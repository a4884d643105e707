// Hostile and exotic inputs for the hostile-input suite, generated at run time (sharp or raw
// bytes), never committed as binaries: pixel bombs that declare enormous sizes in a few
// hundred bytes, truncated and polyglot files, and valid but unusual encodings (CMYK, 16-bit,
// palette, interlaced) that must be accepted.
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import sharp from 'sharp';

export type Rgb = [number, number, number];
export const PLANTED: Rgb = [200, 40, 60];

function solid(width: number, height: number, rgb: Rgb = PLANTED) {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A PNG whose IHDR claims width × height, with one row of real pixel data (CRCs valid). */
export function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const row = Buffer.alloc(1 + Math.min(width, 4096) * 3);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(row)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A real baseline JPEG with its SOF0 frame header rewritten to claim width × height. */
export async function jpegDeclaring(width: number, height: number): Promise<Buffer> {
  const jpeg = Buffer.from(await solid(16, 16).jpeg({ progressive: false }).toBuffer());
  for (let i = 2; i < jpeg.length - 9; i++) {
    if (jpeg[i] === 0xff && jpeg[i + 1] === 0xc0) {
      jpeg.writeUInt16BE(height, i + 5);
      jpeg.writeUInt16BE(width, i + 7);
      return jpeg;
    }
  }
  throw new Error('no SOF0 marker in the generated JPEG');
}

/**
 * A GIF of `frames` frames of width × height each. Every frame holds a complete, tiny LZW
 * stream (clear, one pixel, end): the header says frames × width × height pixels, the file
 * stays a few bytes per frame.
 */
export function gifFrames(frames: number, width: number, height: number): Buffer {
  const le = (n: number) => [n & 0xff, n >> 8];
  const head = [
    ...Buffer.from('GIF89a', 'latin1'),
    ...le(width), ...le(height), 0x80, 0, 0, // global colour table of 2 entries
    200, 40, 60, 255, 255, 255,
    0x21, 0xff, 0x0b, ...Buffer.from('NETSCAPE2.0', 'latin1'), 3, 1, 0, 0, 0, // loop forever
  ];
  // min code size 2: clear=4, literal 0, eoi=5 as 3-bit codes, LSB first: 100 000 101 -> 0x04 0x01
  const frame = [0x21, 0xf9, 4, 0, 10, 0, 0, 0, 0x2c, 0, 0, 0, 0, ...le(width), ...le(height), 0, 2, 2, 0x04, 0x01, 0];
  const out = Buffer.alloc(head.length + frames * frame.length + 1);
  out.set(head, 0);
  for (let i = 0; i < frames; i++) out.set(frame, head.length + i * frame.length);
  out[out.length - 1] = 0x3b;
  return out;
}

export interface NamedBytes {
  name: string;
  bytes: Buffer;
}

/** Files that must be refused with a 4xx, whatever endpoint receives them. */
export async function hostileImages(): Promise<NamedBytes[]> {
  const png = await solid(64, 64).png().toBuffer();
  const jpeg = await solid(64, 64).jpeg().toBuffer();
  const gif = await solid(64, 64).gif().toBuffer();
  const webp = await solid(64, 64).webp().toBuffer();
  const corruptIdat = Buffer.from(png);
  // Flip bytes in the middle of the compressed data (keeping the signature and IHDR).
  for (let i = 60; i < Math.min(corruptIdat.length - 16, 90); i++) corruptIdat[i] = corruptIdat[i]! ^ 0x5a;
  return [
    { name: 'empty file', bytes: Buffer.alloc(0) },
    { name: 'random bytes', bytes: crypto.randomBytes(4096) },
    { name: 'truncated PNG', bytes: png.subarray(0, Math.floor(png.length / 2)) },
    { name: 'truncated JPEG', bytes: jpeg.subarray(0, Math.floor(jpeg.length / 2)) },
    { name: 'truncated GIF', bytes: gif.subarray(0, Math.floor(gif.length / 2)) },
    { name: 'truncated WebP', bytes: webp.subarray(0, Math.floor(webp.length / 2)) },
    { name: 'PNG signature only', bytes: png.subarray(0, 8) },
    { name: 'PNG with corrupt pixel data', bytes: corruptIdat },
    {
      name: 'SVG with script',
      bytes: Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" onload="alert(1)"><script>alert(document.cookie)</script><rect width="64" height="64"/></svg>'),
    },
    { name: 'HTML page', bytes: Buffer.from('<!doctype html><html><body><script>alert(1)</script><img src=x onerror=alert(2)></body></html>') },
    // GIF header whose width/height bytes are "/*", then JavaScript: a classic GIF/JS polyglot.
    { name: 'GIF/JS polyglot', bytes: Buffer.concat([Buffer.from('GIF89a/*\x00\x00\x00\x00*/=1;alert(document.domain);//', 'latin1'), Buffer.from([0x3b])]) },
    { name: 'PNG bomb 30000x30000', bytes: pngDeclaring(30000, 30000) },
    { name: 'PNG declaring 0x0', bytes: pngDeclaring(0, 0) },
    { name: 'GIF of 5000 frames of 200x200', bytes: gifFrames(5000, 200, 200) },
    { name: 'JPEG declaring 65000x65000', bytes: await jpegDeclaring(65000, 65000) },
    { name: 'TIFF (valid, but not an accepted type)', bytes: await solid(8, 8).tiff().toBuffer() },
    { name: 'BMP signature and noise', bytes: Buffer.concat([Buffer.from('BM'), crypto.randomBytes(64)]) },
  ];
}

export interface ExoticImage extends NamedBytes {
  /** The colour the image shows once decoded to sRGB, and how far a decoder may stray. */
  rgb: Rgb;
  tolerance: number;
}

/** Valid images in unusual encodings: each must be accepted and processed. */
export async function exoticImages(): Promise<ExoticImage[]> {
  return [
    { name: 'CMYK JPEG', bytes: await solid(96, 96).toColourspace('cmyk').jpeg().toBuffer(), rgb: PLANTED, tolerance: 45 },
    { name: '16-bit PNG', bytes: await solid(96, 96).toColourspace('rgb16').png().toBuffer(), rgb: PLANTED, tolerance: 6 },
    { name: 'palette PNG', bytes: await solid(96, 96).png({ palette: true }).toBuffer(), rgb: PLANTED, tolerance: 8 },
    { name: 'interlaced PNG', bytes: await solid(96, 96).png({ progressive: true }).toBuffer(), rgb: PLANTED, tolerance: 6 },
    { name: 'progressive JPEG', bytes: await solid(96, 96).jpeg({ progressive: true }).toBuffer(), rgb: PLANTED, tolerance: 10 },
    { name: 'interlaced GIF', bytes: await solid(96, 96).gif({ progressive: true }).toBuffer(), rgb: PLANTED, tolerance: 12 },
  ];
}
