// The seed's image endpoints and the banner calls (issue #3).
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../../config.ts';
import type { AppearanceService } from '../../../profile/appearance.service.ts';
import type { ProfileService } from '../../../profile/profile.service.ts';
import { mediaUrlsFor } from '../../media-urls.ts';
import { GET_LIMITS, POST_LIMIT, registerEndpoint } from './route.ts';
import { userView } from './account.ts';

export function registerAppearanceRoutes(app: FastifyInstance, appearance: AppearanceService, profile: ProfileService, config: Config): void {
  const { limits } = config;
  registerEndpoint(app, {
    method: 'POST',
    path: 'account/update_profile_image',
    rateLimit: POST_LIMIT,
    maxUploadBytes: limits.avatarBytes,
    handle: async ({ auth, params, req }) => userView(config, req, await appearance.updateAvatar(auth.user.id, params), params, false),
  });
  registerEndpoint(app, {
    method: 'POST',
    path: 'account/update_profile_background_image',
    rateLimit: POST_LIMIT,
    maxUploadBytes: limits.backgroundBytes,
    handle: async ({ auth, params, req }) => userView(config, req, await appearance.updateBackground(auth.user.id, params), params, false),
  });
  registerEndpoint(app, {
    method: 'POST',
    path: 'account/update_profile_banner',
    rateLimit: POST_LIMIT,
    maxUploadBytes: limits.bannerBytes,
    handle: async ({ auth, params, reply }) => {
      await appearance.updateBanner(auth.user.id, params);
      // An empty success body must say Content-Length: 0 (twitter-lite fails on empty chunked).
      reply.code(201).header('content-length', '0').send();
      return undefined;
    },
  });
  registerEndpoint(app, {
    method: 'POST',
    path: 'account/remove_profile_banner',
    rateLimit: POST_LIMIT,
    handle: async ({ auth, reply }) => {
      await appearance.removeBanner(auth.user.id);
      reply.code(200).header('content-length', '0').send();
      return undefined;
    },
  });
  registerEndpoint(app, {
    method: 'GET',
    path: 'users/profile_banner',
    rateLimit: GET_LIMITS['users/profile_banner'],
    handle: async ({ auth, params, req }) => {
      // Without user_id or screen_name: the authenticating user's own banner.
      const user = params.get('user_id') !== undefined || params.get('screen_name') !== undefined ? await profile.show(params) : await profile.byId(auth.user.id);
      return { sizes: appearance.bannerSizes(user, mediaUrlsFor(config, req).banner(user)) };
    },
  });
}
