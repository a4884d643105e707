// Shared helpers for the appearance tests (issue #3): a twitter-lite client pointed at the test
// server, hand-built multipart bodies for the wire shapes FormData cannot make (a file part
// without a part Content-Type, as tweepy sends), fetching served media, and decoding what was
// served with sharp to check sizes, colours and the absence of metadata.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import sharp, { type Metadata } from 'sharp';
import { createRequire } from 'node:module';
import type TwitterLiteModule from 'twitter-lite';
import { PLANTED } from '../fixtures/images.ts';
import type { Credentials, TestServer } from './server.ts';
import { signedFetch } from './signing.ts';

export type Rgb = [number, number, number];
export const RED: Rgb = [255, 0, 0];
export const GREEN: Rgb = [0, 255, 0];
export const BLUE: Rgb = [0, 0, 255];

export interface ApiResult {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export function assertTwitterError(r: { status: number; json: any; text?: string }, status: number, code: number, message?: string | RegExp): void {
  const shown = r.text ?? JSON.stringify(r.json);
  assert.equal(r.status, status, shown);
  assert.ok(r.json && Array.isArray(r.json.errors), `no errors array in ${shown}`);
  assert.deepEqual(Object.keys(r.json), ['errors'], shown);
  assert.equal(r.json.errors[0].code, code, shown);
  assert.equal(typeof r.json.errors[0].message, 'string', shown);
  if (typeof message === 'string') assert.equal(r.json.errors[0].message, message);
  else if (message) assert.match(r.json.errors[0].message, message);
}

// twitter-lite is CommonJS whose module.exports is the class; its .d.ts declares a default export.
type TwitterLite = TwitterLiteModule.default;
const Twitter: typeof TwitterLiteModule.default = createRequire(import.meta.url)('twitter-lite');

/** twitter-lite 1.1, unmodified but for its base URL (clients.md §1: assign client.url). */
export function twitterLite(server: Pick<TestServer, 'url'>, c: Credentials): TwitterLite {
  const client = new Twitter({
    consumer_key: c.consumerKey,
    consumer_secret: c.consumerSecret,
    access_token_key: c.token,
    access_token_secret: c.tokenSecret,
  });
  (client as unknown as { url: string }).url = `${server.url}/1.1`;
  return client;
}

/** twitter-lite rejects with the parsed error body (a plain object), not an Error. */
export async function liteError(p: Promise<unknown>): Promise<{ errors: Array<{ code: number; message: string }> }> {
  try {
    await p;
  } catch (e) {
    return e as { errors: Array<{ code: number; message: string }> };
  }
  assert.fail('twitter-lite call succeeded but was expected to fail');
}

export interface Part {
  name: string;
  value: string | Buffer;
  /** Omit for a text part; give for a file part. */
  filename?: string;
  /** Part Content-Type; omitted when undefined (tweepy sends file parts without one). */
  contentType?: string;
}

/** A multipart/form-data body built byte by byte, so any part shape can be sent. */
export function multipart(parts: Part[]): { body: Buffer; contentType: string } {
  const boundary = `plumage${crypto.randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.contentType !== undefined) head += `Content-Type: ${p.contentType}\r\n`;
    head += '\r\n';
    chunks.push(Buffer.from(head, 'utf8'), Buffer.isBuffer(p.value) ? p.value : Buffer.from(p.value, 'utf8'), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** POST a hand-built multipart body, signed with the oauth-1.0a package (multipart is never signed). */
export function postMultipart(server: Pick<TestServer, 'url'>, c: Credentials, path: string, parts: Part[], query?: Record<string, string>): Promise<ApiResult> {
  const { body, contentType } = multipart(parts);
  return signedFetch(server.url, c, 'POST', path, { body, contentType, ...(query ? { query } : {}) });
}

/** Ruby's Base64.encode64: standard alphabet with a newline after every 60 characters. */
export function base64Lines(bytes: Buffer): string {
  return (bytes.toString('base64').match(/.{1,60}/g) ?? []).join('\n') + '\n';
}

/** The user as users/show returns it now (the read-back of every "nothing changed" check). */
export async function showUser(server: Pick<TestServer, 'url'>, c: Credentials): Promise<any> {
  const r = await signedFetch(server.url, c, 'GET', '/1.1/users/show.json', { query: { user_id: c.userId } });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

export interface Served {
  status: number;
  headers: Headers;
  bytes: Buffer;
}

export async function fetchMedia(url: string, init: RequestInit = {}): Promise<Served> {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** A GET whose path goes on the wire exactly as written (fetch would normalise `..` and `%2F`). */
export function rawGet(base: string, rawPath: string, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path: rawPath }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Every avatar URL of a user object: the four squares and the original, from `profile_image_url`. */
export function avatarUrls(profileImageUrl: string): { mini: string; normal: string; bigger: string; '400x400': string; original: string } {
  const m = /^(.*)_normal\.(png|jpg|gif|webp)$/.exec(profileImageUrl);
  assert.ok(m, `profile_image_url does not end in _normal.<ext>: ${profileImageUrl}`);
  const [, stem, ext] = m;
  return {
    mini: `${stem}_mini.${ext}`,
    normal: `${stem}_normal.${ext}`,
    bigger: `${stem}_bigger.${ext}`,
    '400x400': `${stem}_400x400.${ext}`,
    original: `${stem}.${ext}`,
  };
}

export const CONTENT_TYPE_OF_EXT: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };
export const SHARP_FORMAT_OF_EXT: Record<string, string> = { png: 'png', jpg: 'jpeg', gif: 'gif', webp: 'webp' };

/** The extension of a media URL's last segment, if it has one. */
export function extensionOf(url: string): string | undefined {
  return /\.([a-z0-9]+)$/.exec(new URL(url).pathname)?.[1];
}

/** Long enough that compressed pixel data never contains them by chance: scanned in the whole file. */
const FORBIDDEN_ANYWHERE = ['Exif\0', 'http://ns.adobe.com/xap/', 'xpacket', 'Photoshop 3.0', 'ICC_PROFILE', ...Object.values(PLANTED)];
/** Short markers: scanned only outside the pixel data (where a metadata block would be). */
const FORBIDDEN_IN_HEADERS = ['Exif', 'GPS', '8BIM', 'XMP', 'iCCP', 'eXIf', 'tEXt', 'zTXt', 'iTXt'];

/**
 * No metadata block survives: sharp reports none, the long planted or standard texts are
 * nowhere in the file, and the short markers ('Exif', 'GPS', …) are not in any part of the
 * file that is not compressed pixel data.
 */
export async function assertNoMetadata(bytes: Buffer, label: string): Promise<Metadata> {
  const meta = await sharp(bytes).metadata();
  assert.equal(meta.exif, undefined, `${label}: EXIF present`);
  assert.equal(meta.icc, undefined, `${label}: ICC profile present`);
  assert.equal(meta.xmp, undefined, `${label}: XMP present`);
  assert.equal(meta.iptc, undefined, `${label}: IPTC present`);
  assert.equal(meta.orientation, undefined, `${label}: orientation tag present`);
  assert.equal((meta as { comments?: unknown[] }).comments, undefined, `${label}: comments present`);
  const latin = bytes.toString('latin1');
  for (const text of FORBIDDEN_ANYWHERE) assert.ok(!latin.includes(text), `${label}: served bytes contain ${JSON.stringify(text)}`);
  const headers = nonPixelBytes(bytes, meta.format).toString('latin1');
  for (const text of FORBIDDEN_IN_HEADERS) assert.ok(!headers.includes(text), `${label}: ${JSON.stringify(text)} outside the pixel data`);
  if (meta.format === 'png') {
    for (const chunk of pngChunkTypes(bytes)) {
      assert.ok(['IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND', 'gAMA', 'cHRM', 'sRGB', 'pHYs', 'bKGD', 'acTL', 'fcTL', 'fdAT'].includes(chunk), `${label}: PNG chunk ${chunk}`);
    }
  }
  return meta;
}

/**
 * Everything of an image file except its compressed pixel data: PNG chunks other than
 * IDAT/fdAT (with their headers), JPEG up to the first scan, GIF without image data
 * sub-blocks, WebP chunks other than the bitstreams and frames.
 */
export function nonPixelBytes(bytes: Buffer, format: string): Buffer {
  const out: Buffer[] = [];
  if (format === 'png') {
    out.push(bytes.subarray(0, 8));
    for (let at = 8; at + 8 <= bytes.length; ) {
      const len = bytes.readUInt32BE(at);
      const type = bytes.toString('latin1', at + 4, at + 8);
      out.push(type === 'IDAT' || type === 'fdAT' ? bytes.subarray(at, at + 8) : bytes.subarray(at, at + 12 + len));
      at += 12 + len;
    }
  } else if (format === 'jpeg') {
    let at = 2;
    while (at + 4 <= bytes.length && bytes[at] === 0xff) {
      const marker = bytes[at + 1]!;
      if (marker === 0xda) break; // start of scan: pixel data follows
      at += 2 + bytes.readUInt16BE(at + 2);
    }
    out.push(bytes.subarray(0, at));
  } else if (format === 'gif') {
    const packed = bytes[10] ?? 0;
    let at = 13 + (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);
    out.push(bytes.subarray(0, at));
    const skipSubBlocks = (from: number, keep: boolean) => {
      let p = from;
      while (p < bytes.length && bytes[p] !== 0) {
        const n = bytes[p]!;
        if (keep) out.push(bytes.subarray(p, p + 1 + n));
        p += 1 + n;
      }
      return p + 1;
    };
    while (at < bytes.length) {
      const b = bytes[at];
      if (b === 0x21) {
        out.push(bytes.subarray(at, at + 2));
        at = skipSubBlocks(at + 2, true);
      } else if (b === 0x2c) {
        const lp = bytes[at + 9] ?? 0;
        const lct = lp & 0x80 ? 3 * 2 ** ((lp & 7) + 1) : 0;
        out.push(bytes.subarray(at, at + 10 + lct));
        at = skipSubBlocks(at + 10 + lct + 1, false);
      } else {
        break; // trailer
      }
    }
  } else if (format === 'webp') {
    out.push(bytes.subarray(0, 12));
    for (let at = 12; at + 8 <= bytes.length; ) {
      const type = bytes.toString('latin1', at, at + 4);
      const len = bytes.readUInt32LE(at + 4);
      const pixels = ['VP8 ', 'VP8L', 'ALPH', 'ANMF'].includes(type);
      out.push(pixels ? bytes.subarray(at, at + 8) : bytes.subarray(at, at + 8 + len));
      at += 8 + len + (len % 2);
    }
  } else {
    out.push(bytes);
  }
  return Buffer.concat(out);
}

export function pngChunkTypes(bytes: Buffer): string[] {
  const types: string[] = [];
  for (let at = 8; at + 8 <= bytes.length; ) {
    const len = bytes.readUInt32BE(at);
    types.push(bytes.toString('latin1', at + 4, at + 8));
    at += 12 + len;
  }
  return types;
}

/** The colour at (x, y) of the first frame, in 8-bit sRGB without alpha. */
export async function pixel(bytes: Buffer, x: number, y: number): Promise<Rgb> {
  const { data, info } = await sharp(bytes).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.ok(x < info.width && y < info.height, `(${x}, ${y}) outside ${info.width}x${info.height}`);
  const i = (y * info.width + x) * info.channels;
  return [data[i] ?? -1, data[i + 1] ?? -1, data[i + 2] ?? -1];
}

export function assertColour(actual: Rgb, expected: Rgb, label: string, tolerance = 48): void {
  const far = actual.some((v, i) => Math.abs(v - (expected[i] ?? 0)) > tolerance);
  assert.ok(!far, `${label}: expected about rgb(${expected.join(',')}), got rgb(${actual.join(',')})`);
}

/** A PNG of two colours side by side (left half, right half). */
export function halvesPng(width: number, height: number, left: Rgb, right: Rgb): Promise<Buffer> {
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = x < width / 2 ? left : right;
      px.set(c, (y * width + x) * 3);
    }
  }
  return sharp(px, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** A PNG of random noise (incompressible), at least `minBytes` long. */
export async function noisyPng(minBytes: number): Promise<Buffer> {
  // Random RGB is about 3 bytes a pixel even after deflate.
  const side = Math.ceil(Math.sqrt(minBytes / 3)) + 16;
  const px = crypto.randomBytes(side * side * 3);
  const png = await sharp(px, { raw: { width: side, height: side, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
  assert.ok(png.length > minBytes, `noise PNG is only ${png.length} bytes`);
  return png;
}

/** Every blob key under a prefix of the test server's store (to check that nothing leaked). */
export async function blobKeys(server: Pick<TestServer, 'deps'>, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for await (const k of server.deps.blobs.list(prefix)) keys.push(k);
  return keys.sort();
}

/**
 * Closes a test server without waiting out keep-alive connections. A media response is a file
 * stream: the client has every byte (Content-Length) a moment before the server's stream ends,
 * so a close right after a media fetch can find that connection still active, and Fastify's
 * 72 s keepAliveTimeout would then hold the close (and the test file) for over a minute.
 */
export async function stopServer(server: TestServer | undefined): Promise<void> {
  if (!server) return;
  server.app.server.closeAllConnections();
  await server.close();
}

/** Twitter's banner variants and their sizes (reference §3.3), as the tests expect them. */
export const BANNER_SIZES: Readonly<Record<string, readonly [number, number]>> = {
  web: [520, 260],
  web_retina: [1040, 520],
  ipad: [626, 313],
  ipad_retina: [1252, 626],
  mobile: [320, 160],
  mobile_retina: [640, 320],
  '300x100': [300, 100],
  '600x200': [600, 200],
  '1500x500': [1500, 500],
  '1080x360': [1080, 360],
};
