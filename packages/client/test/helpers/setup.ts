/**
 * A real Runline server (SQLite, free port on 127.0.0.1, bootstrap admin key) per suite, with a
 * `RunlineClient` on it, plus small builders for runs and events.
 */
import { randomUUID } from "node:crypto";
import { after, before } from "node:test";
import { startTestServer, type TestServer } from "../../../server/test/helpers/server.ts";
import { type AguiEvent, RunlineClient, type RunlineClientOptions } from "../../src/index.ts";

export interface Suite {
  server: TestServer;
  client: RunlineClient;
  /** A client with the same key on another base URL (e.g. a proxy). */
  clientAt(baseUrl: string, options?: Partial<RunlineClientOptions>): RunlineClient;
}

/** Starts a server before the suite's tests and stops it after; call inside `describe`. */
export function useServer(env: Record<string, string> = {}): () => Suite {
  let suite: Suite | undefined;
  before(async () => {
    const server = await startTestServer("sqlite", env);
    suite = {
      server,
      client: new RunlineClient({ baseUrl: server.url, apiKey: server.key }),
      clientAt: (baseUrl, options) =>
        new RunlineClient({ baseUrl, apiKey: server.key, ...options }),
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

/** Creates a run in a fresh conversation; returns its ids. */
export async function newRun(
  client: RunlineClient,
  request: { initial_status?: "pending" | "running"; parent_run_id?: string } = {},
): Promise<{ conversationId: string; runId: string }> {
  const conversationId = randomUUID();
  const { run } = await client.createRun({
    kind: "agent",
    owner: { kind: "conversation", id: conversationId },
    request: { agent_id: "agent-1", initial_status: request.initial_status ?? "pending" },
    parent_run_id: request.parent_run_id,
  });
  return { conversationId, runId: run.run_id };
}

export const custom = (name: string, value: unknown = 1): AguiEvent => ({
  type: "CUSTOM",
  name,
  value,
});

export const textMessage = (messageId: string, ...deltas: string[]): AguiEvent[] => [
  { type: "TEXT_MESSAGE_START", messageId, role: "assistant" },
  ...deltas.map((delta) => ({ type: "TEXT_MESSAGE_CONTENT", messageId, delta })),
  { type: "TEXT_MESSAGE_END", messageId },
];
