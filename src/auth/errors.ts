// One error class per way a request can fail authentication or authorisation. The HTTP layer
// maps each to Twitter's status, code and message (http/twitter-errors.ts).
export class AuthError extends Error {
  override name = 'AuthError';
}
/** No credentials, a garbled Authorization header, or required oauth_* parameters missing. */
export class BadAuthenticationDataError extends AuthError {
  override name = 'BadAuthenticationDataError';
}
/** Unknown consumer key, wrong signature, unsupported signature method or version, replay. */
export class CouldNotAuthenticateError extends AuthError {
  override name = 'CouldNotAuthenticateError';
}
/** The access token is unknown, revoked, or belongs to another application. */
export class InvalidTokenError extends AuthError {
  override name = 'InvalidTokenError';
}
export class TimestampOutOfBoundsError extends AuthError {
  override name = 'TimestampOutOfBoundsError';
}
/** A read-only application (or token) attempted a write. */
export class ReadOnlyApplicationError extends AuthError {
  override name = 'ReadOnlyApplicationError';
}
/** App-only (bearer) credentials on an endpoint that needs a user context. */
export class UserContextRequiredError extends AuthError {
  override name = 'UserContextRequiredError';
}
/** Plain HTTP while PLUMAGE_REQUIRE_TLS is on. */
export class SslRequiredError extends AuthError {
  override name = 'SslRequiredError';
}
