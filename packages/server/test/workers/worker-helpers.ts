/** Helpers for the worker tests: register workers, act as them, steer the server's clock. */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { generateApiKey } from "../../src/auth/api-keys.ts";
import type { Scope } from "../../src/auth/auth-context.ts";
import { createRun, type TestServer } from "../helpers/server.ts";

export interface RegisteredWorker {
  id: string;
  projectId: string;
  token: string;
  /** Headers that authenticate as this worker (its worker token). */
  auth: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: the worker record is inspected field by field
  record: any;
}

/** A kind no other test uses, so claims see only this test's runs. */
export const uniqueKind = (label = "kind"): string => `${label}-${randomUUID()}`;

export const bearer = (token: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
});

export async function registerWorker(
  server: TestServer,
  implementationKind: string,
  workerKey: string = randomUUID(),
  extra: Record<string, unknown> = {},
): Promise<RegisteredWorker> {
  const response = await server.request("POST", "/agent-workers/projects/current/workers", {
    implementation_kind: implementationKind,
    worker_key: workerKey,
    ...extra,
  });
  assert.ok(
    response.status === 201 || response.status === 200,
    `register: ${response.status} ${response.text}`,
  );
  const { worker, token } = response.body;
  return {
    id: worker.id,
    projectId: worker.project_id,
    token,
    auth: bearer(token),
    record: worker,
  };
}

/** Creates a run workers of `implementationKind` can claim. */
export function createWorkerRun(
  server: TestServer,
  implementationKind: string,
  request: Record<string, unknown> = {},
) {
  return createRun(server, {}, { implementation_kind: implementationKind, ...request });
}

export function claim(
  server: TestServer,
  worker: RegisteredWorker,
  body: Record<string, unknown> | undefined = { lease_duration_seconds: 60 },
) {
  return server.request("POST", `/agent-workers/workers/${worker.id}/claim`, body, worker.auth);
}

/** An API key of the server's first project with only the given scopes. */
export async function keyWithScopes(
  server: TestServer,
  projectId: string,
  scopes: Scope[],
): Promise<string> {
  const { row, key } = generateApiKey(projectId, "limited", scopes, new Date().toISOString());
  await server.server.store.transaction((tx) => tx.insertApiKey(row));
  return key;
}

/**
 * Takes over the server's ledger clock (`LedgerContext.now`): it keeps running with real time,
 * shifted by whatever `advance` added. Leases, heartbeats and worker status all read this clock.
 */
export function controlClock(server: TestServer): { advance(seconds: number): void } {
  const ledger = server.server.ledger;
  let offsetMs = 0;
  ledger.now = () => new Date(Date.now() + offsetMs).toISOString();
  return {
    advance(seconds) {
      offsetMs += seconds * 1000;
    },
  };
}

/** Waits until `condition` holds (checked every few milliseconds), failing after `limitMs`. */
export async function until(condition: () => boolean, what: string, limitMs = 10_000) {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) assert.fail(`gave up waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
