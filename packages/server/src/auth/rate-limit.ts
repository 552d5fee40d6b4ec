/**
 * Per-credential rate limiting with `@fastify/rate-limit`: requests are counted per credential
 * (API key, JWT subject, writer token's run, worker) — not per IP, since many callers share a
 * NAT and one caller may come from many addresses. The limiter runs after authentication (its
 * route-level hook follows the app's auth hook), so a refused credential is never counted and
 * public routes (health, metrics, docs) are exempt. Counters live in this process's memory:
 * with N instances behind a balancer, a credential gets up to N × the limit.
 */
import type { RateLimitPluginOptions } from "@fastify/rate-limit";
import { Problems } from "../errors.ts";
import { credentialKey } from "./auth-context.ts";

export function rateLimitOptions(perMinute: number): RateLimitPluginOptions {
  return {
    global: true,
    max: perMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => (request.auth ? credentialKey(request.auth) : `ip:${request.ip}`),
    allowList: (request) => request.routeOptions.config.public === true || !request.auth,
    errorResponseBuilder: (_request, context) =>
      Problems.rateLimited(
        Math.max(1, Math.ceil(context.ttl / 1000)),
        `Too many requests for this credential: at most ${context.max} per minute`,
      ),
  };
}
