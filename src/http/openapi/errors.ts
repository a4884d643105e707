// Which Twitter-style errors each endpoint can answer, as OpenAPI responses with one example
// per code. The statuses, codes and messages are those of twitter-errors.ts (docs/errors.md).
import { ref } from './components.ts';

export interface DocumentedError {
  status: number;
  code: number;
  message: string;
  /** When it happens. */
  when: string;
}

const e = (status: number, code: number, message: string, when: string): DocumentedError => ({ status, code, message, when });

/** Every OAuth 1.0a endpoint (reference §5: checked in this order). */
export const AUTH_ERRORS: DocumentedError[] = [
  e(400, 215, 'Bad Authentication data.', 'no credentials, a garbled Authorization header, an oauth_* parameter missing or repeated'),
  e(401, 32, 'Could not authenticate you.', 'unknown consumer key, wrong signature, a signature method other than HMAC-SHA1, a nonce used before'),
  e(401, 89, 'Invalid or expired token.', 'unknown or revoked access token (or bearer token)'),
  e(401, 135, 'Timestamp out of bounds.', 'oauth_timestamp too far from the server clock'),
  e(403, 92, 'SSL is required', 'plain HTTP while PLUMAGE_REQUIRE_TLS is on'),
  e(429, 88, 'Rate limit exceeded', 'more requests than the endpoint allows in 15 minutes'),
  e(500, 131, 'Internal error', 'a storage write failed (nothing was changed), or anything unexpected'),
  e(503, 130, 'Over capacity', 'the database, Redis or object storage is unreachable'),
];

/** Endpoints that act for a user: an app-only token is refused. */
export const USER_ONLY: DocumentedError[] = [
  e(403, 220, 'Your credentials do not allow access to this resource.', 'an app-only (Bearer) token'),
];

/** POST endpoints: refused for read-only apps; a body can be too large or broken. */
export const WRITE_ERRORS: DocumentedError[] = [
  e(403, 261, 'Application cannot perform write actions.', 'a read-only application'),
  e(413, 193, 'The request body is too large.', 'a body or request line larger than the server accepts'),
  e(400, 214, 'Bad request.', 'a body that cannot be read (broken multipart framing)'),
];

export const IMAGE_ERRORS = (param: string, limit: string): DocumentedError[] => [
  e(400, 38, `${param} parameter is missing.`, `no ${param} in any transport`),
  e(400, 38, 'No image data was sent.', 'the image is present but empty'),
  e(400, 470, 'The image could not be decoded; it may be corrupt or truncated.', 'corrupt or truncated data, invalid base64'),
  e(400, 471, 'Unsupported image type; send a GIF, JPEG, PNG or WebP image.', 'any other type, judged from the bytes'),
  e(413, 193, `The image is larger than ${limit}.`, 'too many decoded bytes (the limit is configurable; a multipart part over it says "The upload is larger than this endpoint accepts.")'),
  e(422, 472, 'The image has more than 50 megapixels.', 'too many pixels (the limit is configurable)'),
  e(422, 473, 'The image could not be resized.', 'the variants could not be made'),
];

export const USER_LOOKUP_ERRORS: DocumentedError[] = [
  e(400, 38, 'user_id, screen_name parameter is missing. One of them is required.', 'neither user_id nor screen_name (users/show)'),
  e(404, 50, 'User not found.', 'no such user'),
];

export const NOT_FOUND = e(404, 34, 'Sorry, that page does not exist.', 'no such file');

export { e as documentedError };

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'Not authenticated',
  403: 'Refused',
  404: 'Not found',
  413: 'Too large',
  422: 'Unprocessable image',
  429: 'Rate limit exceeded',
  500: 'Internal error',
  503: 'Over capacity',
};

/** OpenAPI responses for a list of errors: one per status, one named example per error. */
export function errorResponses(errors: DocumentedError[]): Record<string, unknown> {
  const byStatus = new Map<number, DocumentedError[]>();
  for (const err of errors) byStatus.set(err.status, [...(byStatus.get(err.status) ?? []), err]);
  const out: Record<string, unknown> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const examples: Record<string, unknown> = {};
    for (const err of list) {
      let name = `code${err.code}`;
      for (let i = 2; name in examples; i++) name = `code${err.code}_${i}`;
      examples[name] = { summary: `${err.code}: ${err.when}`, value: { errors: [{ code: err.code, message: err.message }] } };
    }
    out[String(status)] = {
      description: `${STATUS_TEXT[status] ?? 'Error'}: ${list.map((x) => `code ${x.code} (${x.when})`).join('; ')}.`,
      content: { 'application/json': { schema: ref('Error'), examples } },
    };
  }
  return out;
}
