// BlobStore on S3-compatible object storage (AWS S3, MinIO, R2, Ceph, s3rver). The only file
// that imports @aws-sdk/client-s3 (DESIGN rule 4).
//
// Why it looks the way it does:
// - A single PutObject is atomic on S3: a reader sees the whole object or none, so no
//   temporary key and rename as in the filesystem adapter. Content-MD5 makes the server refuse
//   a body damaged in transit. After a failed put the key is deleted on a best-effort basis:
//   keys are fresh and never referenced before their put succeeded (DESIGN rule 5), and some
//   S3-compatible servers (s3rver among them) write the body straight into place, so a cut
//   upload would otherwise leave half an image readable.
// - No ACL header: many S3-compatible stores reject ACLs, and buckets with "object ownership:
//   bucket owner enforced" (the AWS default since 2023) refuse them too.
// - Checksums only when an operation requires them: since SDK 3.729 the default adds CRC
//   headers that several S3-compatible stores reject.
// - Every call has a connect timeout and a time-to-response timeout, and a few attempts, so an
//   unreachable store fails in seconds instead of hanging a request. Network failures, timeouts,
//   throttling and 5xx become BlobStoreUnavailableError (the HTTP layer answers 503); any other
//   refusal (access denied, no such bucket) becomes BlobStoreRejectedError. Neither message
//   carries credentials, the endpoint or the server's error text.
import { StorageUnavailableError } from '../unavailable.ts';
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';
import { isSafeKey, type BlobStore, type StoredBlob } from './blob-store.ts';

export interface S3BlobStoreOptions {
  /** e.g. http://127.0.0.1:9000; omit for AWS S3 itself. */
  endpoint?: string;
  bucket: string;
  region: string;
  /** Both or neither; with neither the SDK's default chain applies (IAM roles, profiles). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Path-style URLs (http://host/bucket/key): MinIO, s3rver and most self-hosted stores. */
  forcePathStyle?: boolean;
  /** Keys live under "<prefix>/" in the bucket, so one bucket can hold other things. */
  prefix?: string;
  /** Time allowed to open a TCP (or TLS) connection; default DEFAULT_CONNECT_TIMEOUT_MS. */
  connectTimeoutMs?: number;
  /** Time allowed from sending a request (its body included) to its response headers, per attempt; default DEFAULT_REQUEST_TIMEOUT_MS. */
  requestTimeoutMs?: number;
  /** Attempts per operation, the first included; default DEFAULT_MAX_ATTEMPTS. */
  maxAttempts?: number;
  /** Keys per ListObjectsV2 page; the server caps it at 1000. Tests set it low to exercise paging. */
  pageSize?: number;
}

/** The store could not be reached or is failing (network, timeout, throttling, 5xx): retry later. */
export class BlobStoreUnavailableError extends StorageUnavailableError {
  override readonly name = 'BlobStoreUnavailableError';
  constructor(
    readonly operation: string,
    /** A short cause such as "ECONNREFUSED", "TimeoutError" or "InternalError (HTTP 500)". */
    override readonly reason: string,
  ) {
    super('blobs', `S3 ${operation} failed: ${reason}`);
  }
}

/** The store answered but refused the operation (access denied, no such bucket, ...): a configuration problem. */
export class BlobStoreRejectedError extends Error {
  override readonly name = 'BlobStoreRejectedError';
  constructor(
    readonly operation: string,
    readonly reason: string,
    readonly status: number | undefined,
  ) {
    super(`blob store refused S3 ${operation}: ${reason}`);
  }
}

const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
const DEFAULT_MAX_ATTEMPTS = 3;
const IDLE_TIMEOUT_MS = 30_000;
// S3's maximum for DeleteObjects.
const DELETE_BATCH = 1000;

// Codes Node and the SDK's HTTP handler give to failures below HTTP.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_SOCKET',
]);
// S3 error codes that mean "try again later" even when the status is not 5xx.
const TRANSIENT_S3_CODES = new Set(['SlowDown', 'RequestTimeout', 'ServiceUnavailable', 'InternalError', 'Throttling', 'ThrottlingException']);
// Failures that mean the request never reached a server.
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN']);
const NETWORK_NAMES = new Set(['TimeoutError', 'AbortError', 'AggregateError']);

interface SdkErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

function statusOf(e: unknown): number | undefined {
  return (e as SdkErrorShape | null)?.$metadata?.httpStatusCode;
}

function nameOf(e: unknown): string {
  const err = e as SdkErrorShape | null;
  return err?.Code ?? err?.name ?? 'Error';
}

/** Turns whatever the SDK threw into one of our two errors, keeping only names and codes. */
function translate(e: unknown, operation: string): Error {
  if (e instanceof BlobStoreUnavailableError || e instanceof BlobStoreRejectedError) return e;
  const err = e as SdkErrorShape | null;
  const status = statusOf(e);
  const name = nameOf(e);
  if (status === undefined) {
    const code = typeof err?.code === 'string' ? err.code : undefined;
    if ((code && NETWORK_CODES.has(code)) || NETWORK_NAMES.has(name)) {
      return new BlobStoreUnavailableError(operation, code ?? name);
    }
    // Not a response and not a known network failure: a bug, keep it as it is.
    return e instanceof Error ? e : new Error(String(e));
  }
  const reason = `${name} (HTTP ${status})`;
  if (status >= 500 || status === 429 || TRANSIENT_S3_CODES.has(name)) return new BlobStoreUnavailableError(operation, reason);
  return new BlobStoreRejectedError(operation, reason, status);
}

function isNoSuchKey(e: unknown): boolean {
  const name = nameOf(e);
  // A 404 that is not about the bucket means the object is missing (HEAD-style answers have
  // no error code, only "NotFound").
  return name === 'NoSuchKey' || (statusOf(e) === 404 && name !== 'NoSuchBucket');
}

function normalizePrefix(prefix: string | undefined): string {
  const p = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  if (p === '') return '';
  if (!isSafeKey(p)) throw new Error(`invalid S3 key prefix: ${JSON.stringify(prefix)}`);
  return `${p}/`;
}

function createClient(o: S3BlobStoreOptions): S3Client {
  if ((o.accessKeyId === undefined) !== (o.secretAccessKey === undefined)) {
    throw new Error('S3 access key id and secret access key must be given together');
  }
  return new S3Client({
    region: o.region,
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    forcePathStyle: o.forcePathStyle ?? false,
    ...(o.accessKeyId !== undefined && o.secretAccessKey !== undefined
      ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } }
      : {}),
    maxAttempts: o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      requestTimeout: o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
      // A response body that stops flowing (or a reader that stops reading) for this long is
      // cut, so a media response cannot hang forever on a stalled store.
      socketTimeout: IDLE_TIMEOUT_MS,
    },
  });
}

export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly pageSize: number | undefined;
  private readonly cleanupTimeoutMs: number;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.cleanupTimeoutMs = (options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS) + 1000;
    this.prefix = normalizePrefix(options.prefix);
    this.pageSize = options.pageSize;
    this.client = createClient(options);
  }

  private objectKey(key: string): string {
    if (!isSafeKey(key)) throw new Error(`unsafe blob key: ${JSON.stringify(key)}`);
    return this.prefix + key;
  }

  async put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    const Key = this.objectKey(key);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key,
          Body: bytes,
          ContentLength: bytes.length,
          ContentType: contentType,
          ContentMD5: crypto.createHash('md5').update(bytes).digest('base64'),
          // Keys are immutable (keys.ts), so a CDN in front of a public bucket may cache forever.
          CacheControl: 'public, max-age=31536000, immutable',
        }),
      );
    } catch (e) {
      const error = translate(e, 'PutObject');
      // Best effort and bounded, see the header: the key is ours alone until put succeeds.
      // Pointless when the last attempt could not even connect.
      if (!(error instanceof BlobStoreUnavailableError && NEVER_CONNECTED.has(error.reason))) {
        await this.client
          .send(new DeleteObjectCommand({ Bucket: this.bucket, Key }), { abortSignal: AbortSignal.timeout(this.cleanupTimeoutMs) })
          .catch(() => {});
      }
      throw error;
    }
  }

  async open(key: string): Promise<StoredBlob | null> {
    if (!isSafeKey(key)) return null;
    let out;
    try {
      out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
    } catch (e) {
      if (isNoSuchKey(e)) return null;
      throw translate(e, 'GetObject');
    }
    const body = out.Body;
    if (!(body instanceof Readable)) throw new BlobStoreUnavailableError('GetObject', 'response without a body');
    if (typeof out.ContentLength === 'number') return { stream: body, size: out.ContentLength };
    // A chunked answer carries no length, which the media route needs: images are small, buffer it.
    try {
      const bytes = Buffer.from(await out.Body!.transformToByteArray());
      return { stream: Readable.from([bytes]), size: bytes.length };
    } catch (e) {
      throw translate(e, 'GetObject');
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    const all = [...new Set(keys.map((k) => this.objectKey(k)))];
    for (let i = 0; i < all.length; i += DELETE_BATCH) {
      const batch = all.slice(i, i + DELETE_BATCH);
      let out;
      try {
        out = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
      } catch (e) {
        throw translate(e, 'DeleteObjects');
      }
      // DeleteObjects answers 200 and lists per-key failures; a missing key is not one of them.
      const failed = (out.Errors ?? []).filter((x) => x.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        const code = failed[0]!.Code ?? 'Error';
        const reason = `${failed.length} of ${batch.length} keys not deleted, first: ${code}`;
        throw TRANSIENT_S3_CODES.has(code)
          ? new BlobStoreUnavailableError('DeleteObjects', reason)
          : new BlobStoreRejectedError('DeleteObjects', reason, undefined);
      }
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    let token: string | undefined;
    do {
      let out;
      try {
        out = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            ...(token ? { ContinuationToken: token } : {}),
            ...(this.pageSize ? { MaxKeys: this.pageSize } : {}),
          }),
        );
      } catch (e) {
        throw translate(e, 'ListObjectsV2');
      }
      for (const o of out.Contents ?? []) {
        if (o.Key !== undefined && o.Key.startsWith(this.prefix)) yield o.Key.slice(this.prefix.length);
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  /** Closes pooled connections; the store is unusable afterwards. */
  close(): void {
    this.client.destroy();
  }
}

/**
 * Creates the bucket unless it exists (used by tests and `plumage migrate`). Safe when several
 * nodes run it at once.
 */
export async function ensureBucket(options: S3BlobStoreOptions): Promise<void> {
  const client = createClient(options);
  const head = async (): Promise<boolean> => {
    try {
      await client.send(new HeadBucketCommand({ Bucket: options.bucket }));
      return true;
    } catch (e) {
      if (statusOf(e) === 404 || nameOf(e) === 'NoSuchBucket' || nameOf(e) === 'NotFound') return false;
      throw translate(e, 'HeadBucket');
    }
  };
  try {
    if (await head()) return;
    try {
      await client.send(
        new CreateBucketCommand({
          Bucket: options.bucket,
          // us-east-1 is the one region that must not be named (S3 CreateBucket reference).
          ...(options.region !== 'us-east-1'
            ? { CreateBucketConfiguration: { LocationConstraint: options.region as BucketLocationConstraint } }
            : {}),
        }),
      );
    } catch (e) {
      const name = nameOf(e);
      // Another node won the race; BucketAlreadyExists may also mean someone else's bucket,
      // which the second HEAD tells apart (403).
      if (name === 'BucketAlreadyOwnedByYou') return;
      if (name === 'BucketAlreadyExists' && (await head())) return;
      throw translate(e, 'CreateBucket');
    }
  } finally {
    client.destroy();
  }
}
