// Body parsing as Twitter clients need it (clients.md §6–8): urlencoded bodies kept as ordered
// pairs (they are signed), multipart read later by the params plugin, empty JSON-typed bodies
// accepted (twit sends them), and any other type tolerated and ignored.
import type { FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import { parseFormPairs } from '../../oauth1/percent-encode.ts';

/** The parsed form of an application/x-www-form-urlencoded body. */
export class FormBody {
  constructor(readonly pairs: ReadonlyArray<readonly [string, string]>) {}
}

export interface BodyLimits {
  /** Largest request body of any kind. */
  bodyLimit: number;
  /** Largest multipart file part. */
  fileLimit: number;
}

export async function registerBodyParsers(app: FastifyInstance, limits: BodyLimits): Promise<void> {
  await app.register(formbody, { bodyLimit: limits.bodyLimit, parser: (s: string) => new FormBody(parseFormPairs(s)) as never });
  await app.register(multipart, {
    limits: {
      fileSize: limits.fileLimit,
      // base64 text parts carry images too, 4/3 of the bytes plus line breaks.
      fieldSize: Math.ceil(limits.fileLimit * 1.4) + 1024,
      fields: 64,
      files: 4,
      parts: 68,
      headerPairs: 200,
    },
  });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: limits.bodyLimit }, (_req, _body, done) => {
    // No endpoint here takes JSON; twit labels empty bodies application/json. Ignore them.
    done(null, undefined);
  });
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limits.bodyLimit }, (_req, _body, done) => done(null, undefined));
}
