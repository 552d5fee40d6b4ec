/**
 * JWTs issued by the deployment's identity provider (not by Runline): verified with `jose`
 * against an HS256 secret (`RUNLINE_JWT_SECRET`) or a remote JWKS (`RUNLINE_JWKS_URL`; cached,
 * refetched when a token names an unknown `kid`, at most once per cooldown). `exp` is required;
 * `iss` / `aud` are checked when configured. Claims: `sub` → the user, `project_id` → the
 * tenant, and optionally `scope` / `scopes` (see `scopesOf`).
 *
 * A token carrying `tokenUse`, or issued as `runline`, is a server token and never a user JWT
 * (and the reverse holds in `server-tokens.ts`).
 */

import { RUN_ID_PATTERN } from "@runline/contract";
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from "jose";
import { Problems } from "../errors.ts";
import { DEFAULT_KEY_SCOPES, isScope, type Scope } from "./auth-context.ts";
import { SERVER_TOKEN_ISSUER } from "./server-tokens.ts";

export interface UserJwtSettings {
  secret: string | undefined;
  jwksUrl: string | undefined;
  issuer: string | undefined;
  audience: string | undefined;
  clockToleranceSeconds: number;
  /** Least time between two JWKS fetches caused by unknown `kid`s. */
  jwksCooldownSeconds: number;
}

export interface UserClaims {
  projectId: string;
  userId: string;
  scopes: Set<Scope>;
}

/** Asymmetric algorithms accepted from a JWKS (symmetric keys never come from a URL). */
const JWKS_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];
const SECRET_ALGORITHMS = ["HS256"];
/** Project ids in JWTs follow the run-id alphabet: 1–128 of `[A-Za-z0-9_.:-]`. */
const PROJECT_ID_PATTERN = RUN_ID_PATTERN;
const MAX_SUBJECT_LENGTH = 256;

/** The key set could not be fetched or used: the identity provider's fault, not the caller's. */
class KeySetUnavailable extends Error {}

export class UserJwts {
  private readonly secretKey: Uint8Array | undefined;
  private readonly keySet: JWTVerifyGetKey | undefined;

  constructor(private readonly settings: UserJwtSettings) {
    this.secretKey = settings.secret ? new TextEncoder().encode(settings.secret) : undefined;
    if (settings.jwksUrl) {
      const remote = createRemoteJWKSet(new URL(settings.jwksUrl), {
        cooldownDuration: settings.jwksCooldownSeconds * 1000,
      });
      this.keySet = async (header, token) => {
        try {
          return await remote(header, token);
        } catch (error) {
          if (
            error instanceof joseErrors.JWKSNoMatchingKey ||
            error instanceof joseErrors.JWKSMultipleMatchingKeys ||
            error instanceof joseErrors.JOSENotSupported
          ) {
            throw error;
          }
          throw new KeySetUnavailable("JWKS fetch failed", { cause: error });
        }
      };
    }
  }

  get enabled(): boolean {
    return this.secretKey !== undefined || this.keySet !== undefined;
  }

  /** The claims of a valid user JWT; throws 401 for any other token, 503 when the JWKS is down. */
  async verify(token: string): Promise<UserClaims> {
    if (!this.enabled) throw Problems.unauthenticated("JWT authentication is not configured");
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw Problems.unauthenticated("The credential is not a valid API key or token");
    }
    const symmetric = typeof alg === "string" && alg.startsWith("HS");
    let payload: JWTPayload;
    try {
      const options = {
        algorithms: symmetric ? SECRET_ALGORITHMS : JWKS_ALGORITHMS,
        requiredClaims: ["exp"],
        clockTolerance: this.settings.clockToleranceSeconds,
        ...(this.settings.issuer !== undefined && { issuer: this.settings.issuer }),
        ...(this.settings.audience !== undefined && { audience: this.settings.audience }),
      };
      if (symmetric) {
        if (!this.secretKey) throw Problems.unauthenticated("HS256 JWTs are not accepted here");
        ({ payload } = await jwtVerify(token, this.secretKey, options));
      } else {
        if (!this.keySet) throw Problems.unauthenticated("Only HS256 JWTs are accepted here");
        ({ payload } = await jwtVerify(token, this.keySet, options));
      }
    } catch (error) {
      if (error instanceof KeySetUnavailable) {
        throw Problems.unavailable("The identity provider's key set could not be fetched");
      }
      if (error instanceof joseErrors.JOSEError) {
        throw Problems.unauthenticated(
          error instanceof joseErrors.JWTExpired
            ? "The token has expired"
            : "The token is invalid, expired or not for this server",
        );
      }
      throw error;
    }
    return claimsOf(payload);
  }
}

function claimsOf(payload: JWTPayload): UserClaims {
  if ("tokenUse" in payload || payload.iss === SERVER_TOKEN_ISSUER) {
    throw Problems.unauthenticated("A server-issued token is not a user JWT");
  }
  const { sub } = payload;
  const projectId = payload.project_id;
  if (typeof sub !== "string" || sub.length === 0 || sub.length > MAX_SUBJECT_LENGTH) {
    throw Problems.unauthenticated("The token has no valid sub claim");
  }
  if (typeof projectId !== "string" || !PROJECT_ID_PATTERN.test(projectId)) {
    throw Problems.unauthenticated("The token has no valid project_id claim");
  }
  return { projectId, userId: sub, scopes: scopesOf(payload) };
}

/**
 * A JWT's scopes: when it has a `scope` (OAuth-style, space-separated) and/or `scopes` claim
 * (string or array), exactly the Runline scopes named there (others are ignored, so a token
 * naming none can do nothing); with neither claim, every scope but `admin`.
 */
export function scopesOf(payload: Record<string, unknown>): Set<Scope> {
  const claims = [payload.scope, payload.scopes].filter((c) => c !== undefined && c !== null);
  if (claims.length === 0) return new Set(DEFAULT_KEY_SCOPES);
  const names = claims.flatMap((claim) =>
    typeof claim === "string" ? claim.split(/\s+/) : Array.isArray(claim) ? claim : [],
  );
  return new Set(names.filter(isScope));
}
