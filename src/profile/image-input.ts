// Finds the image of a request in whichever transport the client used (clients.md §7.1):
// a multipart file part (with or without filename or part type), or base64 text in the
// query string, the urlencoded body or a multipart text part.
import type { Params } from './params.ts';
import { ImageMissingError, ImageUndecodableError } from '../images/errors.ts';

/**
 * Decodes base64 as clients really send it: whitespace and line breaks ignored (Ruby's
 * Base64.encode64 wraps lines), a data: URI prefix tolerated, the URL-safe alphabet accepted,
 * and spaces read as '+' because a client that forgets to percent-encode '+' in a form value
 * has it decoded to a space. Such a space may even lead the value, so surrounding spaces are
 * trimmed only when the untrimmed reading is not valid base64.
 */
export function decodeBase64Image(text: string): Buffer {
  const bare = text.replace(/[\r\n\t\f\v]/g, '');
  const [asSent, trimmed] = [bare, bare.trim()].map((s) =>
    s.replace(/^ *data:[\w.+\-\/]*(;[\w\-]+=[\w\-]+)*;base64,/i, '').replace(/ /g, '+'),
  ) as [string, string];
  if (trimmed.length === 0) throw new ImageMissingError();
  const chosen = [asSent, trimmed].find(isBase64);
  if (chosen === undefined) throw new ImageUndecodableError();
  return Buffer.from(chosen, 'base64');
}

function isBase64(s: string): boolean {
  if (!/^[A-Za-z0-9+\/\-_]+={0,2}$/.test(s)) return false;
  return s.endsWith('=') ? s.length % 4 === 0 : s.length % 4 !== 1;
}

/** The image bytes under the first of `names` that is present; undefined when none is. */
export function findImage(params: Params, names: readonly string[]): Buffer | undefined {
  for (const name of names) {
    const file = params.file(name);
    if (file !== undefined) return file;
    const text = params.get(name);
    if (text !== undefined) return decodeBase64Image(text);
  }
  return undefined;
}
