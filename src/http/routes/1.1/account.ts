// GET account/verify_credentials, POST account/update_profile, POST account/update_profile_colors.
import type { FastifyInstance } from 'fastify';
import type { ProfileService } from '../../../profile/profile.service.ts';
import { isFalsy, isTruthy } from '../../../profile/rules.ts';
import type { Params } from '../../../profile/params.ts';
import { presentUser } from '../../presenters.ts';
import type { MediaUrls } from '../../media-urls.ts';
import { registerEndpoint } from './route.ts';
import type { User } from '../../../profile/user.ts';

export function userView(urls: MediaUrls, u: User, params: Params, self: boolean, includeEmail = false) {
  // skip_status changes nothing visible: there are no Tweets, so no status is ever embedded.
  return presentUser(u, urls, { includeEntities: !isFalsy(params.get('include_entities')), self, includeEmail });
}

export function registerAccountRoutes(app: FastifyInstance, profile: ProfileService, urls: MediaUrls): void {
  registerEndpoint(app, {
    method: 'GET',
    path: 'account/verify_credentials',
    handle: async ({ auth, params }) => userView(urls, auth.user, params, true, isTruthy(params.get('include_email'))),
  });
  registerEndpoint(app, {
    method: 'POST',
    path: 'account/update_profile',
    handle: async ({ auth, params }) => userView(urls, await profile.updateProfile(auth.user.id, params), params, false),
  });
  registerEndpoint(app, {
    method: 'POST',
    path: 'account/update_profile_colors',
    handle: async ({ auth, params }) => userView(urls, await profile.updateColours(auth.user.id, params), params, false),
  });
}
