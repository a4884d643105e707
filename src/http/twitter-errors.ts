// The one catalogue: every error the application can raise, mapped to the HTTP status, the
// Twitter error code and the message Twitter used (reference/twitter-v1.1.md §4.3). Anything
// not listed here is a bug and is answered 500 / 131 "Internal error" with nothing else.
import * as auth from '../auth/errors.ts';
import * as profile from '../profile/errors.ts';
import * as images from '../images/errors.ts';
import { NoBannerError, WriteFailedError } from '../profile/appearance.service.ts';
import { RateLimitExceededError } from './plugins/rate-limit.ts';
import { MissingGrantTypeError, UnverifiableCredentialsError } from '../auth/app-auth.service.ts';
import { OverCapacityError } from '../images/work-queue.ts';

export interface TwitterError {
  status: number;
  code: number;
  message: string;
}

/** Errors raised by the HTTP layer itself. */
export class PageNotFoundError extends Error {
  override name = 'PageNotFoundError';
}
export class RequestTooLargeError extends Error {
  override name = 'RequestTooLargeError';
}
export class MalformedRequestError extends Error {
  override name = 'MalformedRequestError';
}

type Mapper = (e: Error) => TwitterError;
const fixed = (status: number, code: number, message: string): Mapper => () => ({ status, code, message });
const own = (status: number, code: number): Mapper => (e) => ({ status, code, message: e.message });

const CATALOGUE = new Map<Function, Mapper>([
  [auth.BadAuthenticationDataError, fixed(400, 215, 'Bad Authentication data.')],
  [auth.CouldNotAuthenticateError, fixed(401, 32, 'Could not authenticate you.')],
  [auth.InvalidTokenError, fixed(401, 89, 'Invalid or expired token.')],
  [auth.TimestampOutOfBoundsError, fixed(401, 135, 'Timestamp out of bounds.')],
  [auth.ReadOnlyApplicationError, fixed(403, 261, 'Application cannot perform write actions.')],
  [auth.UserContextRequiredError, fixed(403, 220, 'Your credentials do not allow access to this resource.')],
  [auth.SslRequiredError, fixed(403, 92, 'SSL is required')],
  [UnverifiableCredentialsError, fixed(403, 99, 'Unable to verify your credentials')],
  [MissingGrantTypeError, fixed(403, 170, 'Missing required parameter: grant_type')],
  [profile.MissingParameterError, own(400, 38)],
  [profile.AccountUpdateError, own(403, 120)],
  [profile.UserNotFoundError, fixed(404, 50, 'User not found.')],
  [PageNotFoundError, fixed(404, 34, 'Sorry, that page does not exist.')],
  [RequestTooLargeError, own(413, 193)],
  [MalformedRequestError, own(400, 214)],
  [RateLimitExceededError, fixed(429, 88, 'Rate limit exceeded')],
  [WriteFailedError, fixed(500, 131, 'Internal error')],
  [NoBannerError, fixed(404, 34, 'Sorry, that page does not exist.')],
  [OverCapacityError, fixed(503, 130, 'Over capacity')],
  // Image errors: Twitter published no codes for them; 38 and 193 are Twitter's own
  // (missing parameter, media too large), 470-475 are Plumage's (docs/errors.md).
  [images.ImageMissingError, own(400, 38)],
  [images.ImageTooLargeError, own(413, 193)],
  [images.ImageUndecodableError, own(400, 470)],
  [images.ImageUnsupportedTypeError, own(400, 471)],
  [images.ImageTooManyPixelsError, own(422, 472)],
  [images.ImageNotResizableError, own(422, 473)],
  [images.BannerCropOutOfBoundsError, own(400, 474)],
]);

export const INTERNAL_ERROR: TwitterError = { status: 500, code: 131, message: 'Internal error' };
export const OVER_CAPACITY: TwitterError = { status: 503, code: 130, message: 'Over capacity' };

/** The Twitter answer for an error, or undefined when it is not a known one. */
export function toTwitterError(e: unknown): TwitterError | undefined {
  if (!(e instanceof Error)) return undefined;
  for (let proto = Object.getPrototypeOf(e); proto && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
    const mapper = CATALOGUE.get(proto.constructor);
    if (mapper) return mapper(e);
  }
  return undefined;
}

export function errorBody(t: Pick<TwitterError, 'code' | 'message'>): string {
  return JSON.stringify({ errors: [{ code: t.code, message: t.message }] });
}
