/**
 * Starts a real Runline server on a free port over a real store (a fresh SQLite file or an
 * isolated PostgreSQL schema), with a known bootstrap key, and gives tests a small HTTP client.
 */
import { randomUUID } from "node:crypto";
import { after, before, describe } from "node:test";
import { generateApiKey } from "../../src/auth/api-keys.ts";
import { SCOPES } from "../../src/auth/auth-context.ts";
import { loadConfig } from "../../src/config/config.ts";
import { createServer, type RunlineServer, type ServerOptions } from "../../src/server.ts";
import {
  freshStoreLocation,
  type StoreKind,
  storeTargets,
  type TestStoreLocation,
} from "./stores.ts";

export const BOOTSTRAP_KEY = "vf_testadmin_0123456789abcdefghijklmnop";

export interface TestServer {
  url: string;
  key: string;
  server: RunlineServer;
  /** fetch against the server with the bootstrap key (override headers to change it). */
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  body: any;
  text: string;
}

export async function startTestServer(
  kind: StoreKind = "sqlite",
  env: Record<string, string> = {},
  options: {
    /** Share a store location (several instances on one database); the caller disposes it. */
    location?: TestStoreLocation;
    /** The server's logger (default: none). */
    logger?: ServerOptions["logger"];
  } = {},
): Promise<TestServer> {
  const location = options.location ?? (await freshStoreLocation(kind));
  const ownsLocation = options.location === undefined;
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    RUNLINE_BOOTSTRAP_KEY: BOOTSTRAP_KEY,
    RUNLINE_LOG_LEVEL: "silent",
    RUNLINE_SQLITE_SYNCHRONOUS: "NORMAL",
    ...(location.dataDir && { RUNLINE_DATA_DIR: location.dataDir }),
    ...(location.databaseUrl && { DATABASE_URL: location.databaseUrl }),
    ...env,
  });
  const server = await createServer(config, {
    logger: options.logger ?? false,
    validateResponses: true,
  });
  await server.app.listen({ port: 0, host: "127.0.0.1" });
  const address = server.app.server.address();
  if (!address || typeof address === "string") throw new Error("server has no port");
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    key: BOOTSTRAP_KEY,
    server,
    async request(method, path, body, headers = {}) {
      const response = await fetch(url + path, {
        method,
        headers: {
          authorization: `Bearer ${BOOTSTRAP_KEY}`,
          ...(body !== undefined && { "content-type": "application/json" }),
          ...headers,
        },
        ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.status, headers: response.headers, body: parsed, text };
    },
    async close() {
      await server.close();
      if (ownsLocation) await location.dispose();
    },
  };
}

/**
 * Registers a suite once per store (SQLite always, PostgreSQL when available — skipped
 * visibly otherwise), each with its own fresh server. `get()` returns that suite's server.
 */
export function describeEachStore(
  name: string,
  body: (get: () => TestServer) => void,
  env: Record<string, string> = {},
): void {
  for (const target of storeTargets()) {
    describe(`${name} [${target.kind}]`, { skip: target.skip }, () => {
      let server: TestServer | undefined;
      before(async () => {
        server = await startTestServer(target.kind, env);
      });
      after(async () => {
        await server?.close();
      });
      body(() => {
        if (!server) throw new Error("server not started");
        return server;
      });
    });
  }
}

/** A second project with its own admin key, for tenancy tests. */
export async function createOtherProject(server: TestServer): Promise<string> {
  const now = new Date().toISOString();
  const projectId = randomUUID();
  const { row, key } = generateApiKey(projectId, "other", SCOPES, now);
  await server.server.store.transaction(async (tx) => {
    await tx.insertProject({ id: projectId, name: "other", created_at: now });
    await tx.insertApiKey(row);
  });
  return key;
}

export const newConversationId = (): string => randomUUID();

/** Creates a run through the API and returns its summary. */
export async function createRun(
  server: TestServer,
  overrides: Record<string, unknown> = {},
  request: Record<string, unknown> = {},
): Promise<{ run_id: string; conversation_id: string; [k: string]: unknown }> {
  const conversationId = (overrides.conversationId as string | undefined) ?? randomUUID();
  const { conversationId: _c, ...rest } = overrides;
  const response = await server.request("POST", "/runs", {
    kind: "agent",
    owner: { kind: "conversation", id: conversationId },
    request: { agent_id: "agent-1", ...request },
    ...rest,
  });
  if (response.status !== 202)
    throw new Error(`create failed: ${response.status} ${response.text}`);
  return { ...response.body.run, conversation_id: conversationId };
}
