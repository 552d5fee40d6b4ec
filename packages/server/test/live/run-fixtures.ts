/** Runs with known logs for the streaming tests, built through the HTTP API. */
import assert from "node:assert/strict";
import { createRun, type TestServer } from "../helpers/server.ts";

export const custom = (name: string, value: unknown = 1) => ({ type: "CUSTOM", name, value });

export interface LoggedRow {
  event_id: number;
  event_type: string;
  event: Record<string, unknown>;
}

/** Appends one batch (bootstrap key); returns the run's latest event id. */
export async function append(
  server: TestServer,
  runId: string,
  events: readonly unknown[],
): Promise<number> {
  const response = await server.request("POST", `/runs/${runId}/events`, { events });
  assert.equal(response.status, 200, response.text);
  return response.body.latest_event_id as number;
}

export async function complete(
  server: TestServer,
  runId: string,
  status: "completed" | "failed" | "cancelled" = "completed",
): Promise<void> {
  const response = await server.request("POST", `/runs/${runId}/complete`, { status });
  assert.equal(response.status, 200, response.text);
}

/** The whole log of a run, read through `GET /runs/{id}/events`. */
export async function logOf(server: TestServer, runId: string): Promise<LoggedRow[]> {
  const rows: LoggedRow[] = [];
  for (;;) {
    const after = rows.length;
    const page = await server.request(
      "GET",
      `/runs/${runId}/events?limit=500&after_event_id=${after}`,
    );
    assert.equal(page.status, 200, page.text);
    rows.push(...(page.body.data as LoggedRow[]));
    if (page.body.page_info.next === null) return rows;
  }
}

/** A running run with `count` CUSTOM events after its RUN_STARTED (ids 2 … count + 1). */
export async function runningRun(
  server: TestServer,
  count = 0,
): Promise<{ run_id: string; conversation_id: string }> {
  const run = await createRun(server, {}, { initial_status: "running" });
  for (let i = 0; i < count; i += 100) {
    const batch = Array.from({ length: Math.min(100, count - i) }, (_, j) => custom(`e${i + j}`));
    await append(server, run.run_id, batch);
  }
  return run;
}
