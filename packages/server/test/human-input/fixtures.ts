/** Input requests made through the API, for the human-input tests. */
import { randomUUID } from "node:crypto";
import { createRun, type TestResponse, type TestServer } from "../helpers/server.ts";

/** One field of every kind, with the options the contract names. */
export const EVERY_KIND_FIELDS = [
  { type: "text", name: "name", label: "Name", required: true, minLength: 2, maxLength: 20 },
  { type: "email", name: "email", label: "Email" },
  { type: "url", name: "site", label: "Website" },
  { type: "password", name: "token", label: "API token", secret: true },
  { type: "number", name: "amount", label: "Amount", min: 1, max: 1000 },
  { type: "textarea", name: "notes", label: "Notes", maxLength: 50 },
  {
    type: "select",
    name: "flight",
    label: "Flight",
    options: [
      { value: "LH1", label: "Lufthansa 1", recommended: true },
      { value: "BA2", label: "British Airways 2" },
    ],
  },
  {
    type: "radio",
    name: "seat",
    label: "Seat",
    options: [
      { value: "aisle", label: "Aisle" },
      { value: "window", label: "Window" },
    ],
  },
  { type: "checkbox", name: "insurance", label: "Insurance" },
  { type: "confirm", name: "approve", label: "Approve the payment?", required: true },
  { type: "text", name: "code", label: "Code", pattern: "^[A-Z]{3}$" },
];

export const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

export function inputRequestBody(runId: string, overrides: Record<string, unknown> = {}) {
  return {
    run_id: runId,
    tool_call_id: `tc-${randomUUID()}`,
    kind: "form",
    requested_responder_type: "human",
    title: "Approve the payment",
    fields: [{ type: "confirm", name: "approve", label: "Approve?", required: true }],
    expires_at: inAnHour(),
    ...overrides,
  };
}

/** A run (running) and an open input request on it. */
export async function openRequest(
  server: TestServer,
  overrides: Record<string, unknown> = {},
  headers?: Record<string, string>,
): Promise<{ run: { run_id: string; conversation_id: string }; request: TestResponse["body"] }> {
  const run = await createRun(server, {}, { initial_status: "running" });
  const response = await server.request(
    "POST",
    `/conversations/${run.conversation_id}/input-requests`,
    inputRequestBody(run.run_id, overrides),
    headers,
  );
  if (response.status !== 201) {
    throw new Error(`create input request failed: ${response.status} ${response.text}`);
  }
  return { run, request: response.body };
}

export const requestPath = (conversationId: string, id: string) =>
  `/conversations/${conversationId}/input-requests/${id}`;
