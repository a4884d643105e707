// POST oauth2/token and oauth2/invalidate_token: app-only bearer tokens (reference §5.4).
// Parameters come from the urlencoded body or the query; the app authenticates with HTTP Basic.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppAuthService } from '../../auth/app-auth.service.ts';
import { parseFormPairs } from '../../oauth1/percent-encode.ts';
import { FormBody } from '../plugins/body-parsers.ts';
import { JSON_CONTENT_TYPE } from '../presenters.ts';

function param(req: FastifyRequest, name: string): string | undefined {
  const q = (req.raw.url ?? '').split('?')[1] ?? '';
  const pairs = [...parseFormPairs(q), ...(req.body instanceof FormBody ? req.body.pairs : [])];
  return pairs.find(([k]) => k === name)?.[1];
}

export function registerOAuth2Routes(app: FastifyInstance, appAuth: AppAuthService): void {
  app.post('/oauth2/token', async (req, reply) => {
    const token = await appAuth.issue(req.headers.authorization, param(req, 'grant_type'));
    return reply.type(JSON_CONTENT_TYPE).send(JSON.stringify({ token_type: 'bearer', access_token: token }));
  });
  app.post('/oauth2/invalidate_token', async (req, reply) => {
    const token = await appAuth.invalidate(req.headers.authorization, param(req, 'access_token'));
    return reply.type(JSON_CONTENT_TYPE).send(JSON.stringify({ access_token: token }));
  });
}
