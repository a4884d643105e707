// Shared helpers for the appearance tests (issue #3): a twitter-lite client pointed at the test
// server, hand-built multipart bodies for the wire shapes FormData cannot make (a file part
// without a part Content-Type, as tweepy sends), fetching served media, and decoding what was
// served with sharp to check sizes, colours and the absence of metadata.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import sharp, { type Metadata } from 'sharp';
import { createRequire } from 'node:module';
import type TwitterLiteModule from 'twitter-lite';
import type { User } from '../../src/profile/user.ts';
import { PLANTED } from '../fixtures/images.ts';
import { settleServers, type Credentials, type TestServer } from './server.ts';
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
  await settleServers();
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

/** GET over TLS, trusting only the agent's CA (the test certificate; no NODE_TLS_REJECT_UNAUTHORIZED tricks). */
export function fetchTls(url: string, agent: https.Agent): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { agent, timeout: 20_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timed out fetching ${url}`)));
    req.on('error', reject);
  });
}

export interface FetchedImage {
  status: number;
  /** The Content-Type header, null when there is none. */
  type: string | null;
  body: Buffer;
  /** What sharp reads from the body; undefined unless the status is 2xx. */
  meta: Metadata | undefined;
}

/** GETs served media (over TLS with `agent`, trusting its CA; else with fetch) and decodes a 2xx body with sharp. */
export async function fetchImage(url: string, agent?: https.Agent): Promise<FetchedImage> {
  let status: number;
  let type: string | null;
  let body: Buffer;
  await settleServers();
  if (agent) {
    const res = await fetchTls(url, agent);
    const t = res.headers['content-type'];
    ({ status, body } = res);
    type = t === undefined ? null : String(t);
  } else {
    const res = await fetch(url);
    status = res.status;
    type = res.headers.get('content-type');
    body = Buffer.from(await res.arrayBuffer());
  }
  return { status, type, body, meta: status >= 200 && status < 300 ? await sharp(body).metadata() : undefined };
}

/**
 * GETs a served image and checks it: 200, the Content-Type `type` ('image/png', …), and sharp
 * decodes it in that format. Returns the body and its metadata for further checks.
 */
export async function fetchServedImage(url: string, type: string, agent?: https.Agent): Promise<{ body: Buffer; meta: Metadata }> {
  const img = await fetchImage(url, agent);
  assert.equal(img.status, 200, `GET ${url}`);
  assert.equal(img.type, type, url);
  assert.equal(img.meta?.format, type.replace(/^image\//, ''), url);
  return { body: img.body, meta: img.meta! };
}

/** A reader of the RGB of one pixel of a decoded image (alpha dropped), decoding it once. */
export async function pixels(body: Buffer): Promise<(x: number, y: number) => number[]> {
  const { data, info } = await sharp(body).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return (x, y) => Array.from(data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3));
}

/** The avatar variants in the order the client tests fetch them, with the squares' sides. */
const AVATAR_SQUARES: ReadonlyArray<readonly ['normal' | 'mini' | 'bigger' | '400x400', number]> = [
  ['normal', 48],
  ['mini', 24],
  ['bigger', 73],
  ['400x400', 400],
];

/**
 * Fetches every avatar variant (`urls` as avatarUrls gives them) and checks each is served with
 * the Content-Type of its extension, decodes in that format, and has its size: the squares
 * 48/24/73/400, the original `original` ([width, height]). Returns each variant's URL, body and
 * metadata, by name, for the caller's own checks.
 */
export async function checkAvatarVariants(
  urls: Record<'normal' | 'mini' | 'bigger' | '400x400' | 'original', string>,
  original: readonly [number, number],
  agent?: https.Agent,
): Promise<Record<string, { url: string; body: Buffer; meta: Metadata }>> {
  const ext = extensionOf(urls.normal);
  const type = ext === undefined ? undefined : CONTENT_TYPE_OF_EXT[ext];
  assert.ok(type, `no image extension on ${urls.normal}`);
  const out: Record<string, { url: string; body: Buffer; meta: Metadata }> = {};
  for (const [name, w, h] of [...AVATAR_SQUARES.map(([n, side]) => [n, side, side] as const), ['original', ...original] as const]) {
    const url = urls[name];
    const { body, meta } = await fetchServedImage(url, type, agent);
    assert.deepEqual([meta.width, meta.height], [w, h], `${url} decodes at ${w}×${h}`);
    out[name] = { url, body, meta };
  }
  return out;
}

/**
 * The sizes map of users/profile_banner: exactly the ten variants with Twitter's w/h, each URL
 * `${bannerUrl}/${name}`, each served as a PNG that decodes at exactly that size (and, with
 * noMetadata, carries none). Returns the variants' URLs and bodies by name.
 */
export async function checkBannerVariants(
  sizes: Record<string, { w: number; h: number; url: string }>,
  bannerUrl: string,
  opts: { agent?: https.Agent; noMetadata?: boolean } = {},
): Promise<{ urls: Record<string, string>; files: Record<string, Buffer> }> {
  assert.deepEqual(Object.keys(sizes).sort(), Object.keys(BANNER_SIZES).sort(), 'ten variants');
  const urls: Record<string, string> = {};
  const files: Record<string, Buffer> = {};
  for (const [name, [w, h]] of Object.entries(BANNER_SIZES)) {
    const v = sizes[name]!;
    assert.deepEqual({ w: v.w, h: v.h }, { w, h }, name);
    assert.equal(v.url, `${bannerUrl}/${name}`);
    const { body, meta } = await fetchServedImage(v.url, 'image/png', opts.agent);
    if (opts.noMetadata) await assertNoMetadata(body, `banner ${name}`);
    assert.deepEqual([meta.width, meta.height], [w, h], `${name} decodes at ${w}×${h}`);
    urls[name] = v.url;
    files[name] = body;
  }
  return { urls, files };
}

/** The profile storage holds has each of the given fields as given (each named in its message). */
export function assertStoredProfile(stored: User, want: Partial<Pick<User, 'screenName' | 'name' | 'location' | 'url' | 'description' | 'email'>>): void {
  for (const [k, v] of Object.entries(want)) assert.equal(stored[k as keyof typeof want], v, k);
}

/**
 * What storage holds for the images a client test set: the avatar and background files are the
 * ones behind the URLs the client was given, the background tiled and in use, and the banner the
 * one behind `bannerUrl` (null: no banner).
 */
export function assertStoredMedia(
  stored: Pick<User, 'profileImage' | 'backgroundImage' | 'backgroundTile' | 'useBackgroundImage' | 'banner'>,
  urls: { avatar: string; background: string; banner: string | null },
): void {
  assert.ok(stored.profileImage !== null);
  assert.ok(urls.avatar.endsWith(`/profile_images/${stored.profileImage.replace(/\.([a-z0-9]+)$/, '_normal.$1')}`), `stored ${stored.profileImage} vs ${urls.avatar}`);
  assert.ok(stored.backgroundImage !== null);
  assert.ok(urls.background.endsWith(`/profile_background_images/${stored.backgroundImage}`), `stored ${stored.backgroundImage} vs ${urls.background}`);
  assert.equal(stored.backgroundTile, true);
  assert.equal(stored.useBackgroundImage, true);
  if (urls.banner === null) {
    assert.equal(stored.banner, null);
  } else {
    assert.ok(stored.banner !== null);
    assert.ok(urls.banner.endsWith(`/profile_banners/${stored.banner}`), `stored ${stored.banner} vs ${urls.banner}`);
  }
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
  await settleServers();
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
