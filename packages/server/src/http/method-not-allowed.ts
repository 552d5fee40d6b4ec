/**
 * 405 for a known path asked with the wrong method (docs/api.md §3.3): the not-found handler
 * asks which methods the path's routes take, from the app's route catalogue, and answers
 * `method_not_allowed` with `Allow` when there are any. Route patterns are matched as the
 * router matches them: `:param` is one non-empty segment, a trailing `*` anything below.
 */
import type { FastifyInstance } from "fastify";
import { routeCatalogue } from "../auth/route-catalogue.ts";

interface PathPattern {
  pattern: RegExp;
  methods: Set<string>;
}

const patterns = new WeakMap<FastifyInstance, PathPattern[]>();

/** The methods `path` is routed for (sorted; empty when no route has this path). */
export function allowedMethods(app: FastifyInstance, path: string): string[] {
  let known = patterns.get(app);
  if (!known) {
    known = compile(app);
    // Routes are all registered before the first request is served: compiled once.
    patterns.set(app, known);
  }
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  const methods = new Set<string>();
  for (const { pattern, methods: these } of known) {
    if (pattern.test(trimmed)) for (const method of these) methods.add(method);
  }
  return [...methods].sort();
}

function compile(app: FastifyInstance): PathPattern[] {
  const byUrl = new Map<string, Set<string>>();
  for (const { method, url } of routeCatalogue(app)) {
    // The CORS plugin's catch-all preflight route (`OPTIONS *`) names no path.
    if (url === "*" || url === "/*") continue;
    const methods = byUrl.get(url) ?? new Set<string>();
    methods.add(method.toUpperCase());
    byUrl.set(url, methods);
  }
  return [...byUrl].map(([url, methods]) => ({ pattern: patternOf(url), methods }));
}

function patternOf(url: string): RegExp {
  const trimmed = url.length > 1 ? url.replace(/\/+$/, "") : url;
  const source = trimmed
    .split("/")
    .map((segment) => {
      if (segment === "*") return ".*";
      if (segment.startsWith(":")) return "[^/]+";
      return segment.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
    })
    .join("/");
  return new RegExp(`^${source}$`);
}
