/** Shared by the webhook suites: reading a webhook's deliveries through the API. */
import assert from "node:assert/strict";
import type { TestServer } from "../helpers/server.ts";

/** A page of `GET /webhooks/{id}/deliveries` (`query`: "?limit=…&cursor=…"), asserted 200. */
export async function deliveries(server: TestServer, webhookId: string, query = "") {
  const response = await server.request("GET", `/webhooks/${webhookId}/deliveries${query}`);
  assert.equal(response.status, 200, response.text);
  return response.body as { data: Record<string, unknown>[]; page_info: { next: string | null } };
}
