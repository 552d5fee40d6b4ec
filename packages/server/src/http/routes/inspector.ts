/**
 * The web inspector (`packages/inspector`), served as static files at `/ui`.
 *
 * - Public: the page itself holds no data; the UI asks for an API key and sends it on every
 *   API call (never in the URL).
 * - Files come from the inspector's Vite build (`packages/inspector/dist`), read with `node:fs`:
 *   every path segment is decoded and checked (no `..`, no dot files, no separators, no NUL)
 *   and the resolved file must lie inside the build directory.
 * - Hashed assets (`/ui/assets/…`) are cached for a year; everything else is revalidated
 *   (ETag). Unknown paths without a file extension get `index.html` (the UI routes with the
 *   History API under `/ui`); unknown files are a 404 problem.
 * - Without a build, `/ui` answers 503 `inspector_not_built`, saying how to build it; building
 *   while the server runs is picked up on the next request.
 * - A strict Content-Security-Policy: the UI loads nothing from elsewhere and talks only to
 *   this origin.
 */
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyReply, FastifyRequest } from "fastify";
import { Problems } from "../../errors.ts";
import type { TypedApp } from "../app.ts";
import { sendProblem } from "../problems.ts";

/**
 * The built UI: inside the built server package (`dist/ui`, copied there by
 * `scripts/build.mjs`, so an installed package serves it), else — running from source — where
 * `npm run build -w @runline/inspector` writes it in the workspace.
 */
const PACKAGED_UI = fileURLToPath(new URL("../../ui/", import.meta.url));
export const DEFAULT_INSPECTOR_DIST = existsSync(PACKAGED_UI)
  ? PACKAGED_UI
  : fileURLToPath(new URL("../../../../inspector/dist/", import.meta.url));

export const INSPECTOR_PREFIX = "/ui";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
};

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join("; "),
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

export interface InspectorOptions {
  /** The built UI (default: `packages/inspector/dist`). */
  distDir?: string;
}

export function inspectorRoutes(app: TypedApp, options: InspectorOptions = {}): void {
  const root = resolve(options.distDir ?? DEFAULT_INSPECTOR_DIST);
  const route = { config: { public: true }, schema: { hide: true } } as const;
  const handler = (request: FastifyRequest, reply: FastifyReply) => serve(root, request, reply);
  app.get(INSPECTOR_PREFIX, route, handler);
  app.get(`${INSPECTOR_PREFIX}/*`, route, handler);
}

async function serve(root: string, request: FastifyRequest, reply: FastifyReply) {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
  const index = join(root, "index.html");
  if (!(await isFile(index))) {
    return sendProblem(reply, Problems.inspectorNotBuilt());
  }
  const segments = segmentsOf(request.url);
  if (segments === undefined) {
    return sendProblem(reply, Problems.notFound("No such file in the inspector"));
  }
  const wanted = resolve(root, ...segments);
  if (segments.length > 0 && wanted.startsWith(root + sep) && (await isFile(wanted))) {
    const immutable = segments[0] === "assets" && segments.length > 1;
    return sendFile(request, reply, wanted, immutable);
  }
  const last = segments.at(-1) ?? "";
  if (segments[0] === "assets" || extname(last) !== "") {
    return sendProblem(reply, Problems.notFound(`No file ${request.url.split("?")[0]}`));
  }
  // A route of the single-page app (e.g. /ui/conversations/…/runs/…): the app decides.
  return sendFile(request, reply, index, false);
}

/**
 * The path below `/ui` as safe segments, or undefined when any segment is not acceptable
 * (undecodable, `.`/`..`, dot file, separator or NUL inside).
 */
function segmentsOf(url: string): string[] | undefined {
  const path = (url.split("?")[0] ?? "").slice(INSPECTOR_PREFIX.length);
  const segments: string[] = [];
  for (const raw of path.split("/")) {
    if (raw === "") continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment.startsWith(".") || /[/\\]/.test(segment) || segment.includes("\u0000")) {
      return undefined;
    }
    segments.push(segment);
  }
  return segments;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function sendFile(
  request: FastifyRequest,
  reply: FastifyReply,
  path: string,
  immutable: boolean,
) {
  const info = await stat(path);
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  reply
    .header("etag", etag)
    .header("cache-control", immutable ? "public, max-age=31536000, immutable" : "no-cache")
    .type(CONTENT_TYPES[extname(path).toLowerCase()] ?? "application/octet-stream");
  if (request.headers["if-none-match"] === etag) return reply.code(304).send();
  return reply.send(await readFile(path));
}
