// Errors of the profile domain; the HTTP layer turns each into a Twitter answer.
export class ProfileError extends Error {
  override name = 'ProfileError';
}
/** None of the parameters an endpoint needs was given (Twitter code 38). */
export class MissingParameterError extends ProfileError {
  override name = 'MissingParameterError';
  constructor(readonly parameters: readonly string[], detail?: string) {
    super(`${parameters.join(', ')} parameter is missing.${detail ? ` ${detail}` : ''}`);
  }
}
/** A value was refused; nothing was changed (Twitter code 120, "Account update failed: …"). */
export class AccountUpdateError extends ProfileError {
  override name = 'AccountUpdateError';
  constructor(readonly reason: string) {
    super(`Account update failed: ${reason}`);
  }
}
export class UserNotFoundError extends ProfileError {
  override name = 'UserNotFoundError';
  constructor() {
    super('User not found.');
  }
}
/** A screen name that is taken or malformed (CLI only). */
export class ScreenNameError extends ProfileError {
  override name = 'ScreenNameError';
}
