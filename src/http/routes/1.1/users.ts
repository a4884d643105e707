// GET users/show.
import type { FastifyInstance } from 'fastify';
import type { ProfileService } from '../../../profile/profile.service.ts';
import type { Config } from '../../../config.ts';
import { GET_LIMITS, registerEndpoint } from './route.ts';
import { userView } from './account.ts';

export function registerUsersRoutes(app: FastifyInstance, profile: ProfileService, config: Config): void {
  registerEndpoint(app, {
    method: 'GET',
    path: 'users/show',
    // Public data: Twitter served users/show to app-only (bearer) callers too.
    auth: 'user-or-app',
    rateLimit: GET_LIMITS['users/show'],
    fast: true,
    handle: async ({ params, origin }) => userView(config, origin, await profile.show(params), params, false),
  });
}
