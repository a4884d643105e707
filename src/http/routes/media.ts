// Serves every media URL the API hands out (Twitter's layout, see storage/blobs/keys.ts) and
// the default avatar. Keys are immutable, so responses are cacheable forever and the ETag is
// derived from the key. Paths are validated before any lookup: nothing outside the store.
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BlobStore } from '../../storage/blobs/blob-store.ts';
import type { ImageProcessor } from '../../images/index.ts';
import { PageNotFoundError } from '../twitter-errors.ts';
import { DEFAULT_AVATAR_PATH } from '../media-urls.ts';

const TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };
const ID = /^[1-9][0-9]{0,19}$/;
const FILE = /^([A-Za-z0-9_\-]{1,40}?)(_(?:mini|normal|bigger|400x400))?\.(png|jpg|gif|webp)$/;
const BANNER_VARIANT = /^(web|web_retina|ipad|ipad_retina|mobile|mobile_retina|300x100|600x200|1500x500|1080x360)$/;

function etagOf(key: string): string {
  return `"${crypto.createHash('sha256').update(key).digest('base64url').slice(0, 27)}"`;
}

function cacheHeaders(reply: FastifyReply, contentType: string, etag: string): void {
  reply
    .header('content-type', contentType)
    .header('etag', etag)
    .header('cache-control', 'public, max-age=31536000, immutable')
    .header('x-content-type-options', 'nosniff');
}

function notModified(req: FastifyRequest, etag: string): boolean {
  const inm = req.headers['if-none-match'];
  if (!inm) return false;
  return inm.trim() === '*' || inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

export function registerMediaRoutes(app: FastifyInstance, blobs: BlobStore, images: ImageProcessor): void {
  async function sendBlob(req: FastifyRequest, reply: FastifyReply, key: string, contentType: string) {
    const etag = etagOf(key);
    if (notModified(req, etag)) {
      // Only answer 304 for keys that exist: an ETag must not vouch for a missing blob.
      const probe = await blobs.open(key);
      if (!probe) throw new PageNotFoundError();
      probe.stream.destroy();
      cacheHeaders(reply, contentType, etag);
      return reply.code(304).send();
    }
    const blob = await blobs.open(key);
    if (!blob) throw new PageNotFoundError();
    cacheHeaders(reply, contentType, etag);
    reply.header('content-length', String(blob.size));
    // For HEAD, Fastify sends the headers and discards the stream.
    return reply.send(blob.stream);
  }

  app.get('/profile_images/:id/:file', async (req, reply) => {
    const { id, file } = req.params as { id: string; file: string };
    const m = FILE.exec(file);
    if (!ID.test(id) || !m) throw new PageNotFoundError();
    return sendBlob(req, reply, `profile_images/${id}/${file}`, TYPES[m[3]!]!);
  });

  app.get('/profile_background_images/:id/:file', async (req, reply) => {
    const { id, file } = req.params as { id: string; file: string };
    const m = FILE.exec(file);
    if (!ID.test(id) || !m || m[2]) throw new PageNotFoundError();
    return sendBlob(req, reply, `profile_background_images/${id}/${file}`, TYPES[m[3]!]!);
  });

  // The bare banner URL (what the user object carries) serves the 1500x500 variant.
  app.get('/profile_banners/:uid/:ts', async (req, reply) => {
    const { uid, ts } = req.params as { uid: string; ts: string };
    if (!ID.test(uid) || !/^\d{1,12}$/.test(ts)) throw new PageNotFoundError();
    return sendBlob(req, reply, `profile_banners/${uid}/${ts}/1500x500`, 'image/png');
  });
  app.get('/profile_banners/:uid/:ts/:variant', async (req, reply) => {
    const { uid, ts, variant } = req.params as { uid: string; ts: string; variant: string };
    if (!ID.test(uid) || !/^\d{1,12}$/.test(ts) || !BANNER_VARIANT.test(variant)) throw new PageNotFoundError();
    return sendBlob(req, reply, `profile_banners/${uid}/${ts}/${variant}`, 'image/png');
  });

  const defaultPrefix = DEFAULT_AVATAR_PATH.slice(DEFAULT_AVATAR_PATH.lastIndexOf('/') + 1);
  app.get(`${DEFAULT_AVATAR_PATH.slice(0, DEFAULT_AVATAR_PATH.lastIndexOf('/'))}/:file`, async (req, reply) => {
    const { file } = req.params as { file: string };
    const m = /^([a-z_]+?)(?:_(mini|normal|bigger|400x400))?\.png$/.exec(file);
    if (!m || m[1] !== defaultPrefix) throw new PageNotFoundError();
    const variant = (await images.defaultAvatar()).find((v) => v.name === (m[2] ?? 'original'));
    if (!variant) throw new PageNotFoundError();
    const etag = etagOf(`default/${file}/${variant.bytes.length}`);
    cacheHeaders(reply, variant.contentType, etag);
    if (notModified(req, etag)) return reply.code(304).send();
    return reply.send(variant.bytes);
  });
}
