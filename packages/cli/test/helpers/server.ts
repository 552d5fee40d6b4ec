/**
 * A real Runline server per suite (the server package's `startTestServer`: SQLite, a free port
 * on 127.0.0.1, a known admin key), an `@runline/client` on it to produce runs, and the
 * environment that points the `runline` command at it.
 */

import { randomUUID } from "node:crypto";
import { after, before } from "node:test";
import { RunlineClient } from "@runline/client";
import { startTestServer, type TestServer } from "../../../server/test/helpers/server.ts";

export interface Suite {
  server: TestServer;
  client: RunlineClient;
  /** RUNLINE_URL and RUNLINE_API_KEY for this server. */
  env: Record<string, string>;
}

/** Starts a server before the suite's tests and stops it after; call inside `describe`. */
export function useServer(): () => Suite {
  let suite: Suite | undefined;
  before(async () => {
    const server = await startTestServer("sqlite");
    suite = {
      server,
      client: new RunlineClient({ baseUrl: server.url, apiKey: server.key }),
      env: { RUNLINE_URL: server.url, RUNLINE_API_KEY: server.key },
    };
  });
  after(async () => {
    if (!suite) return;
    await suite.server.close();
  });
  return () => {
    if (!suite) throw new Error("server not started");
    return suite;
  };
}

/** Creates a run in a fresh conversation. */
export async function newRun(
  client: RunlineClient,
  request: { agent_id?: string; initial_status?: "pending" | "running" } = {},
  extra: { public_id?: string; parent_run_id?: string } = {},
): Promise<{ conversationId: string; runId: string }> {
  const conversationId = randomUUID();
  const { run } = await client.createRun({
    kind: "agent",
    owner: { kind: "conversation", id: conversationId },
    request: { agent_id: request.agent_id ?? "agent-1", initial_status: request.initial_status },
    ...extra,
  });
  return { conversationId, runId: run.run_id };
}
