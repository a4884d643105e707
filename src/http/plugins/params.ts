// Merges a request's parameters from the query string, the urlencoded body and multipart
// parts into one Params (first occurrence wins), after authentication succeeded. File parts
// are buffered up to the route's upload limit; a larger one is refused as too large (413)
// without reading the rest.
import { finished } from 'node:stream/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MapParams, type Params } from '../../profile/params.ts';
import { parseFormPairs } from '../../oauth1/percent-encode.ts';
import { FormBody } from './body-parsers.ts';
import { MalformedRequestError, RequestTooLargeError } from '../twitter-errors.ts';
import { ImageTooLargeError } from '../../images/errors.ts';
import { UploadBufferPool, UploadBytes } from '../upload-buffers.ts';

/** File parts are read into reused buffers (see upload-buffers.ts), one pool per process. */
const uploadBuffers = new UploadBufferPool();

type Pairs = ReadonlyArray<readonly [string, string]>;

/** The query's and the urlencoded body's parameters, the first occurrence of each name. */
export function paramValues(query: Pairs, form: Pairs): Map<string, string> {
  const values = new Map<string, string>();
  for (const [k, v] of query) if (!values.has(k)) values.set(k, v);
  for (const [k, v] of form) if (!values.has(k)) values.set(k, v);
  return values;
}

async function readParams(req: FastifyRequest): Promise<Params> {
  const url = req.raw.url ?? '';
  const q = url.indexOf('?');
  const values = paramValues(q === -1 ? [] : parseFormPairs(url.slice(q + 1)), req.body instanceof FormBody ? req.body.pairs : []);
  const files = new Map<string, Buffer>();
  const add = (k: string, v: string) => {
    if (!values.has(k)) values.set(k, v);
  };
  const uploads: UploadBytes[] = [];
  const releaseUploads = () => {
    for (const u of uploads) u.release();
  };
  if (req.isMultipart()) {
    const limit = req.routeOptions.config.maxUploadBytes;
    // The body's length bounds every part; a chunked body starts small and grows.
    const declared = Number(req.headers['content-length']);
    const bodyLength = Number.isSafeInteger(declared) && declared > 0 ? declared : 256 * 1024;
    try {
      for await (const part of req.parts(limit === undefined ? undefined : { limits: { fileSize: limit + 1 } })) {
        if (part.type === 'file') {
          // busboy calls a part without a filename a field unless it has a content type;
          // tweepy's and twitter-api-v2's odd parts arrive here either way (clients.md §7.1).
          const upload = new UploadBytes(uploadBuffers, Math.min(bodyLength, limit === undefined ? bodyLength : limit + 1));
          uploads.push(upload);
          // Like part.toBuffer(): past the size limit the rest is read and dropped (the body
          // must be consumed for the answer to go out on this connection), then refused.
          // Read with 'data' events, not `for await`: the async iterator costs a promise and a
          // turn of the microtask queue per chunk, and a 700 KB upload is a dozen or more.
          // finished() rejects when the part ends early (a broken body, a dropped connection).
          const file = part.file;
          file.on('data', (chunk: Buffer) => {
            if (!file.truncated) upload.append(chunk);
          });
          await finished(file);
          if (part.file.truncated) throw Object.assign(new Error('request file too large'), { code: 'FST_REQ_FILE_TOO_LARGE' });
          if (!files.has(part.fieldname)) files.set(part.fieldname, upload.bytes());
        } else if (typeof part.value === 'string') {
          add(part.fieldname, part.value);
        }
      }
    } catch (e) {
      // Nobody saw these bytes: straight back to the pool.
      releaseUploads();
      // A file part over the endpoint's limit is an image that is too large, whatever carried it.
      if (limit !== undefined && (e as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new ImageTooLargeError(limit);
      throw translateMultipartError(e);
    }
  }
  return new MapParams(values, files, uploads.length > 0 ? releaseUploads : undefined);
}

function translateMultipartError(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const code = (e as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return new RequestTooLargeError('The upload is larger than this endpoint accepts.');
  }
  if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE' || /Unexpected end of (form|multipart data)|Malformed part header|boundary|needle cannot have a length/i.test(e.message)) {
    return new MalformedRequestError('The multipart body could not be read.');
  }
  // Nothing but parsing of the request body happens in the parts loop: whatever else busboy
  // throws is the body's fault, never a reason for a 500.
  if (code === undefined || code.startsWith('FST_')) return new MalformedRequestError('The multipart body could not be read.');
  return e;
}

export function registerParams(app: FastifyInstance): void {
  app.decorateRequest('twitterParams', null);
  // Added after the OAuth hook, so it runs after it: nothing is read for a refused request.
  app.addHook('preHandler', async (req) => {
    if (req.routeOptions.config.auth === undefined) return;
    req.twitterParams = await readParams(req);
  });
}
