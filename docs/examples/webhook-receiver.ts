/**
 * A Runline webhook receiver (docs/operations.md, "Webhooks"): verifies each delivery's Standard
 * Webhooks signature with nothing but node:crypto, refuses stale or forged requests, and
 * handles each `webhook-id` once (deliveries are at least once: a retry may repeat one).
 *
 *   RUNLINE_WEBHOOK_SECRET=whsec_… PORT=4000 node --import tsx docs/examples/webhook-receiver.ts
 *
 * The `standardwebhooks` npm package does the same check in one call:
 *   new Webhook(secret).verify(body, headers)   // throws when the signature or timestamp is bad
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

const secret = process.env.RUNLINE_WEBHOOK_SECRET ?? "";
if (!secret.startsWith("whsec_")) {
  console.error("Set RUNLINE_WEBHOOK_SECRET to the secret runline printed (whsec_…)");
  process.exit(2);
}
const key = Buffer.from(secret.slice("whsec_".length), "base64");
/** Older (or newer) deliveries are refused: a captured request cannot be replayed later. */
const TOLERANCE_SECONDS = 5 * 60;
/** Ids already handled. A real receiver keeps them in its database, with the effect it had. */
const seen = new Set<string>();

function verify(id: string, timestamp: string, signatures: string, body: string): boolean {
  const sent = Number(timestamp);
  if (!Number.isInteger(sent) || Math.abs(Date.now() / 1000 - sent) > TOLERANCE_SECONDS) {
    return false;
  }
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  // The header may carry several space-separated signatures (during a secret rotation).
  return signatures.split(" ").some((entry) => {
    const [version, value] = entry.split(",");
    if (version !== "v1" || !value) return false;
    const given = Buffer.from(value, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    // Verify the raw bytes as received: re-serialised JSON would not match the signature.
    const body = Buffer.concat(chunks).toString("utf8");
    const header = (name: string) => String(request.headers[name] ?? "");
    const id = header("webhook-id");
    if (!verify(id, header("webhook-timestamp"), header("webhook-signature"), body)) {
      console.log(`refused a request with a bad signature or timestamp (${id || "no id"})`);
      response.writeHead(401).end();
      return;
    }
    if (seen.has(id)) {
      console.log(`duplicate ${id}: already handled`);
      response.writeHead(200).end();
      return;
    }
    seen.add(id);
    const event = JSON.parse(body) as { type: string; data: { run_id?: string; id?: string } };
    // Answer quickly (2xx within 10 s counts as delivered); do slow work after answering.
    response.writeHead(204).end();
    console.log(`verified ${event.type} ${id} ${event.data.run_id ?? event.data.id ?? ""}`);
  });
});

server.listen(Number(process.env.PORT ?? 4000), "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : "?";
  console.log(`listening on http://127.0.0.1:${port}`);
});
