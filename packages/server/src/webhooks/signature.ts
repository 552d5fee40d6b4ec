/**
 * Standard Webhooks signing (standardwebhooks.com): a secret `whsec_<base64>` whose decoded
 * bytes key an HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, sent as
 * `webhook-signature: v1,<base64>`. The `standardwebhooks` npm package's `verify` accepts it
 * (tested), and so does the receiver example in docs/examples/webhook-receiver.ts.
 */
import { createHmac, randomBytes } from "node:crypto";

const PREFIX = "whsec_";

/** A new signing secret: 24 random bytes (192 bits), as the specification suggests. */
export function newWebhookSecret(): string {
  return `${PREFIX}${randomBytes(24).toString("base64")}`;
}

/** The `webhook-signature` header value for one attempt. */
export function webhookSignature(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  const key = Buffer.from(
    secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret,
    "base64",
  );
  const mac = createHmac("sha256", key)
    .update(`${id}.${timestampSeconds}.${body}`)
    .digest("base64");
  return `v1,${mac}`;
}
