// Every route the application registers, with its options, as Fastify reports them through
// onRoute. Registered before any route, so nothing escapes it: the access-level test walks
// this table (a new route is checked without anyone listing it), and anything else that needs
// the route list (documentation, metrics) can read it too.
import type { FastifyContextConfig, FastifyInstance } from 'fastify';

export interface RouteEntry {
  method: string;
  url: string;
  config: FastifyContextConfig;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** All registered routes, one entry per method and URL. */
    routeTable: readonly RouteEntry[];
  }
}

export function registerRouteTable(app: FastifyInstance): void {
  const table: RouteEntry[] = [];
  app.decorate('routeTable', table);
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const method of methods) table.push({ method, url: r.url, config: (r.config ?? {}) as FastifyContextConfig });
  });
}
