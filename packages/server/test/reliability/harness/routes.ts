/**
 * Every route the app serves, read from Fastify's own route tree (`printRoutes`), so routes
 * added later (streams, workers, API keys) are fuzzed without touching the tests.
 */
import type { FastifyInstance } from "fastify";

export interface RouteInfo {
  method: string;
  /** Fastify's path pattern, e.g. `/runs/:run_id/events`. */
  path: string;
}

/** Parses `printRoutes({ commonPrefix: false })`: one node a line, four columns a level. */
export function routesOf(app: FastifyInstance): RouteInfo[] {
  const tree = app.printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const routes: RouteInfo[] = [];
  for (const line of tree.split("\n")) {
    const marker = line.search(/[├└]── /);
    if (marker < 0) continue;
    const depth = Math.floor(marker / 4);
    const rest = line.slice(marker + 4);
    const match = /^(.*?)(?: \(([A-Z, ]+)\))?$/.exec(rest);
    if (!match) continue;
    const segment = match[1] ?? "";
    const parent = stack[depth - 1] ?? "";
    const path = segment.startsWith("/") ? parent + segment : `${parent}/${segment}`;
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of (match[2] ?? "").split(",").map((m) => m.trim())) {
      if (method) routes.push({ method, path });
    }
  }
  if (routes.length === 0) throw new Error(`could not read any route from:\n${tree}`);
  return routes;
}
