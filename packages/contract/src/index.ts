/**
 * @runline/contract — the wire contract of Runline's HTTP API, in one place: the zod schemas
 * of every request and response (the server validates with them and generates its OpenAPI
 * document from them), the TypeScript types derived from them (the client's types), scopes,
 * id patterns and problem codes.
 */
export * from "./ids.ts";
export * from "./problem-codes.ts";
export * from "./schemas.ts";
export * from "./scopes.ts";
export type * from "./types.ts";
