/**
 * Every route the app registers, with the policy it declares (`config.scope` /
 * `config.public`), recorded as routes are added — so a test can check all of them, including
 * routes added later by anyone, instead of a hand-kept list.
 */
import type { FastifyInstance, RouteOptions } from "fastify";
import type { RoutePolicy } from "./authorize.ts";

export interface RouteEntry {
  method: string;
  url: string;
  policy: RoutePolicy;
}

const catalogues = new WeakMap<FastifyInstance, RouteOptions[]>();

/** Starts recording; call before any route is registered. */
export function recordRoutes(app: FastifyInstance): void {
  const routes: RouteOptions[] = [];
  catalogues.set(app, routes);
  app.addHook("onRoute", (route) => {
    routes.push(route);
  });
}

/** The recorded routes, one entry per method (policies read now: later hooks may add to them). */
export function routeCatalogue(app: FastifyInstance): RouteEntry[] {
  const routes = catalogues.get(app);
  if (!routes) throw new Error("routes were not recorded for this app (call recordRoutes first)");
  return routes.flatMap((route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const config = (route.config ?? {}) as RoutePolicy;
    return methods.map((method) => ({
      method: String(method),
      url: route.url,
      policy: { scope: config.scope, public: config.public },
    }));
  });
}
