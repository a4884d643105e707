// Password hashing with scrypt (node:crypto): a random 16-byte salt per password, the cost
// parameters stored with the hash so they can be raised later, comparison in constant time.
import crypto from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEY_BYTES = 32;

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;

export class PasswordRuleError extends Error {
  override name = 'PasswordRuleError';
}

function scrypt(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    crypto.scrypt(password.normalize('NFC'), salt, KEY_BYTES, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export function checkPasswordRules(password: string): void {
  if ([...password].length < PASSWORD_MIN) throw new PasswordRuleError(`a password needs at least ${PASSWORD_MIN} characters`);
  if (password.length > PASSWORD_MAX) throw new PasswordRuleError(`a password may have at most ${PASSWORD_MAX} characters`);
}

export async function hashPassword(password: string): Promise<string> {
  checkPasswordRules(password);
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** A hash to compare against when the account does not exist: the same work either way. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(crypto.randomBytes(24).toString('base64'));
  return dummy;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = /^scrypt\$(\d{1,7})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m || password.length > PASSWORD_MAX) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  const key = await scrypt(password, Buffer.from(m[4]!, 'base64'), Number(m[1]), Number(m[2]), Number(m[3]));
  return key.length === expected.length && crypto.timingSafeEqual(key, expected);
}
