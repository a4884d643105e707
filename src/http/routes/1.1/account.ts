// GET account/verify_credentials, POST account/update_profile, POST account/update_profile_colors.
import type { FastifyInstance } from 'fastify';
import type { ProfileService } from '../../../profile/profile.service.ts';
import { isFalsy, isTruthy } from '../../../profile/rules.ts';
import type { Params } from '../../../profile/params.ts';
import { userJsonBody } from '../../presenters.ts';
import { mediaUrlsFor, type RequestOrigin } from '../../media-urls.ts';
import type { Config } from '../../../config.ts';
import { GET_LIMITS, POST_LIMIT, registerEndpoint } from './route.ts';
import type { User } from '../../../profile/user.ts';

export function userView(config: Config, origin: RequestOrigin, u: User, params: Params, self: boolean, includeEmail = false) {
  const urls = mediaUrlsFor(config, origin);
  // skip_status changes nothing visible: there are no Tweets, so no status is ever embedded.
  return userJsonBody(u, urls, { includeEntities: !isFalsy(params.get('include_entities')), self, includeEmail });
}

export function registerAccountRoutes(app: FastifyInstance, profile: ProfileService, config: Config): void {
  registerEndpoint(app, {
    method: 'GET',
    path: 'account/verify_credentials',
    rateLimit: GET_LIMITS['account/verify_credentials'],
    fast: true,
    handle: async ({ auth, params, origin }) => userView(config, origin, auth.user, params, true, isTruthy(params.get('include_email'))),
  });
  registerEndpoint(app, {
    method: 'POST',
    path: 'account/update_profile',
    rateLimit: POST_LIMIT,
    fast: true,
    handle: async ({ auth, params, origin }) => userView(config, origin, await profile.updateProfile(auth.user.id, params), params, false),
  });
  registerEndpoint(app, {
    method: 'POST',
    path: 'account/update_profile_colors',
    rateLimit: POST_LIMIT,
    fast: true,
    handle: async ({ auth, params, origin }) => userView(config, origin, await profile.updateColours(auth.user.id, params), params, false),
  });
}
