/**
 * Tokens the server issues itself (run event-writer tokens, worker tokens): short-lived JWTs
 * signed with HS256 under a secret kept in the database (so every instance can verify them).
 * `tokenUse` says what a token is for; a token is never accepted for another use.
 */
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";

export const SERVER_TOKEN_ISSUER = "runline";

export type ServerTokenClaims =
  | {
      tokenUse: "run_event_writer";
      projectId: string;
      runId: string;
      scopes: string[];
      /** The worker that held the run's lease when the token was minted (the lease fence). */
      leaseOwner?: string;
    }
  | {
      tokenUse: "worker";
      projectId: string;
      workerId: string;
      scopes: string[];
    };

export class ServerTokens {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  sign(claims: ServerTokenClaims, ttlSeconds: number): Promise<string> {
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(SERVER_TOKEN_ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.key);
  }

  /** The claims of a valid, unexpired server token; undefined for anything else. */
  async verify(token: string): Promise<ServerTokenClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: SERVER_TOKEN_ISSUER,
        algorithms: ["HS256"],
        requiredClaims: ["exp"],
      });
      return parseClaims(payload);
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return undefined;
      throw error;
    }
  }
}

function parseClaims(payload: Record<string, unknown>): ServerTokenClaims | undefined {
  const { tokenUse, projectId, scopes } = payload;
  if (typeof projectId !== "string" || !Array.isArray(scopes)) return undefined;
  const scopeList = scopes.filter((s): s is string => typeof s === "string");
  if (tokenUse === "run_event_writer" && typeof payload.runId === "string") {
    const { leaseOwner } = payload;
    if (leaseOwner !== undefined && typeof leaseOwner !== "string") return undefined;
    return {
      tokenUse,
      projectId,
      runId: payload.runId,
      scopes: scopeList,
      ...(leaseOwner !== undefined && { leaseOwner }),
    };
  }
  if (tokenUse === "worker" && typeof payload.workerId === "string") {
    return { tokenUse, projectId, workerId: payload.workerId, scopes: scopeList };
  }
  return undefined;
}
