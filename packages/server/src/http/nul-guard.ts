/**
 * Refuses NUL characters (U+0000) in request strings, with a 400, before anything is stored.
 *
 * PostgreSQL text columns cannot hold NUL (SQLite can), so without this guard the same request
 * would be stored by one store and fail with a 500 on the other. AG-UI event payloads are exempt:
 * they are stored as JSON documents, where NUL is kept as the `\u0000` escape.
 */
import type { FastifyRequest } from "fastify";
import { Problems } from "../errors.ts";

/** Body keys whose values are AG-UI payloads (kept verbatim, NUL allowed). */
const PAYLOAD_KEYS = new Set(["events", "result"]);

function findNul(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value === "string") return value.includes("\u0000") ? path : undefined;
  if (typeof value !== "object" || value === null || depth > 300) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes("\u0000")) return `${path}.${key}`;
    if (depth === 0 && path === "body" && PAYLOAD_KEYS.has(key)) continue;
    const found = findNul(inner, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** preValidation hook: 400 when a path parameter, query value or body string holds NUL. */
export async function refuseNul(request: FastifyRequest): Promise<void> {
  const where =
    findNul(request.params, "params", 0) ??
    findNul(request.query, "querystring", 0) ??
    findNul(request.body, "body", 0);
  if (where) {
    throw Problems.invalidRequest(`${where} contains a NUL character (U+0000)`, [
      { path: where, message: "must not contain NUL (U+0000)" },
    ]);
  }
}
