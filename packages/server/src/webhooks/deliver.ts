/**
 * One delivery attempt of one outbox row (docs/api.md §10): `POST` the stored body to the
 * webhook's URL with the Standard Webhooks headers, and say what came of it. 2xx within the
 * timeout is delivered; anything else — another status, a timeout, a refused or failed
 * connection, an address the SSRF rule refuses (checked again here: DNS may have changed) — is
 * a failed attempt for the deliverer to retry. Redirects are not followed (a 3xx fails).
 *
 * Kept to this one function so a tracing span can wrap exactly one delivery.
 */

import http from "node:http";
import https from "node:https";
import type { ClaimedDelivery } from "../store/webhooks.ts";
import { outgoingTraceHeaders } from "../tracing/spans.ts";
import { webhookSignature } from "./signature.ts";
import { guardedLookup, refusalOf } from "./url-guard.ts";

export interface DeliveryOptions {
  /** The whole attempt, connect to response headers. */
  timeoutMs: number;
  /** RUNLINE_WEBHOOKS_ALLOW_PRIVATE: no address rule. */
  allowPrivate: boolean;
  /** Aborted when the server shuts down (the attempt then does not count). */
  signal: AbortSignal;
}

export type AttemptResult =
  | { kind: "delivered"; statusCode: number }
  | { kind: "failed"; statusCode: number | null; error: string }
  /** Shutdown interrupted it: not an attempt. */
  | { kind: "aborted" };

const USER_AGENT = "Runline-Webhooks/1";

export function deliverWebhook(
  claimed: ClaimedDelivery,
  options: DeliveryOptions,
): Promise<AttemptResult> {
  const refusal = refusalOf(claimed.url, options.allowPrivate);
  if (refusal) return Promise.resolve({ kind: "failed", statusCode: null, error: refusal });
  const url = new URL(claimed.url);
  const { id, payload } = claimed.delivery;
  const timestamp = Math.floor(Date.now() / 1000);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = AbortSignal.any([options.signal, timeout]);
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const settle = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const request = (url.protocol === "https:" ? https : http).request(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(payload),
        "user-agent": USER_AGENT,
        "webhook-id": id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": webhookSignature(claimed.secret, id, timestamp, payload),
        // The delivery span's trace context, so a receiver may continue it (none while off).
        ...outgoingTraceHeaders(),
      },
      ...(!options.allowPrivate && { lookup: guardedLookup }),
      signal,
    });
    request.on("response", (response) => {
      const statusCode = response.statusCode ?? 0;
      // The answer is the status; the body is read and dropped (until the timeout ends it).
      response.resume();
      response.on("error", () => undefined);
      settle(
        statusCode >= 200 && statusCode < 300
          ? { kind: "delivered", statusCode }
          : { kind: "failed", statusCode, error: `unexpected status ${statusCode}` },
      );
    });
    request.on("error", (error: NodeJS.ErrnoException) => {
      if (options.signal.aborted) return settle({ kind: "aborted" });
      if (timeout.aborted) {
        return settle({
          kind: "failed",
          statusCode: null,
          error: `no response within ${options.timeoutMs} ms`,
        });
      }
      const code = error.code && !error.message.includes(error.code) ? ` (${error.code})` : "";
      settle({ kind: "failed", statusCode: null, error: `${error.message}${code}`.slice(0, 500) });
    });
    request.end(payload);
  });
}
