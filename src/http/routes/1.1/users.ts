// GET users/show.
import type { FastifyInstance } from 'fastify';
import type { ProfileService } from '../../../profile/profile.service.ts';
import type { MediaUrls } from '../../media-urls.ts';
import { registerEndpoint } from './route.ts';
import { userView } from './account.ts';

export function registerUsersRoutes(app: FastifyInstance, profile: ProfileService, urls: MediaUrls): void {
  registerEndpoint(app, {
    method: 'GET',
    path: 'users/show',
    handle: async ({ params }) => userView(urls, await profile.show(params), params, false),
  });
}
