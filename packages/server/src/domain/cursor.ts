/**
 * Opaque, tamper-evident keyset cursors for run listings.
 *
 * A cursor carries the listing it belongs to (a digest of route + project + filters), the
 * direction and the keyset position, signed with HMAC-SHA256 under a server secret. A forged
 * or altered cursor, or one used on another listing, fails `decode`.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export interface CursorPosition {
  /** Keyset value: the internal row number the page continues from. */
  pk: number;
  /** "next" continues in listing order after pk; "prev" goes back before pk. */
  direction: "next" | "prev";
}

export class CursorCodec {
  constructor(private readonly secret: string) {}

  /** A stable digest naming one listing (route, project, filters). */
  static listing(parts: Record<string, string | number | undefined>): string {
    const canonical = Object.keys(parts)
      .sort()
      .map((k) => `${k}=${parts[k] ?? ""}`)
      .join("&");
    return createHash("sha256").update(canonical).digest("base64url").slice(0, 16);
  }

  encode(listing: string, position: CursorPosition): string {
    const payload = Buffer.from(
      JSON.stringify([listing, position.direction === "next" ? 1 : 0, position.pk]),
    ).toString("base64url");
    return `${payload}.${this.sign(payload)}`;
  }

  /** The position, or undefined when the cursor is malformed, forged or from another listing. */
  decode(listing: string, cursor: string): CursorPosition | undefined {
    const [payload, signature, ...rest] = cursor.split(".");
    if (!payload || !signature || rest.length > 0 || cursor.length > 512) return undefined;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    } catch {
      return undefined;
    }
    if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
    const [forListing, direction, pk] = parsed as unknown[];
    if (forListing !== listing || (direction !== 0 && direction !== 1)) return undefined;
    if (typeof pk !== "number" || !Number.isSafeInteger(pk) || pk < 0) return undefined;
    return { pk, direction: direction === 1 ? "next" : "prev" };
  }

  private sign(payload: string): string {
    return createHmac("sha256", this.secret).update(payload).digest("base64url").slice(0, 22);
  }
}
