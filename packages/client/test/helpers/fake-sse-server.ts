/**
 * A scripted stand-in for a run's SSE route on 127.0.0.1, for the misbehaviours a correct
 * server never shows on demand: replaying ids the client already has, skipping an id, going
 * silent, answering with errors. Each connection to `…/stream` follows the script's plan for
 * it; `GET /conversations/c/runs/r` answers a run record with the fake's status.
 */
import http from "node:http";
import type { AguiEvent } from "../../src/index.ts";

export const FAKE_RUN_PATH = "/conversations/c/runs/r";

export interface ConnectionPlan {
  /** Answer with this error status (problem JSON) instead of a stream. */
  status?: number;
  retryAfterSeconds?: number;
  /** First id to send (default: one after Last-Event-ID): lower replays ids the client has. */
  from?: number;
  /** Send ids up to this one (default: the whole log), then close or hang. */
  to?: number;
  /** Leave this id out. */
  skip?: number;
  /** After sending, keep the connection open and silent instead of closing it. */
  hang?: boolean;
}

export interface FakeSseServer {
  url: string;
  /** The Last-Event-ID header of each stream request ("" when absent). */
  readonly lastEventIds: string[];
  /** How many times the run record was read. */
  readonly recordReads: number;
  close(): Promise<void>;
}

export async function startFakeSseServer(options: {
  events: AguiEvent[];
  status: string;
  plan: (connection: number, after: number) => ConnectionPlan;
}): Promise<FakeSseServer> {
  const lastEventIds: string[] = [];
  let recordReads = 0;
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((request, response) => {
    const url = request.url ?? "";
    if (url === FAKE_RUN_PATH) {
      recordReads += 1;
      const record = { status: options.status, latest_event_id: options.events.length };
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(record));
      return;
    }
    if (url !== `${FAKE_RUN_PATH}/stream`) {
      problem(response, 404, "not_found");
      return;
    }
    const header = request.headers["last-event-id"];
    lastEventIds.push(typeof header === "string" ? header : "");
    const after = Number(header ?? 0);
    const plan = options.plan(lastEventIds.length - 1, after);
    if (plan.status) {
      problem(response, plan.status, "unavailable", plan.retryAfterSeconds);
      return;
    }
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    response.write("retry: 2000\n\n: ping\n\n");
    const to = Math.min(plan.to ?? options.events.length, options.events.length);
    for (let id = plan.from ?? after + 1; id <= to; id++) {
      if (id === plan.skip) continue;
      const event = options.events[id - 1]!;
      response.write(`id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    }
    if (plan.hang) open.add(response);
    else response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    lastEventIds,
    get recordReads() {
      return recordReads;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of open) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function problem(
  response: http.ServerResponse,
  status: number,
  code: string,
  retryAfterSeconds?: number,
): void {
  response.writeHead(status, {
    "content-type": "application/problem+json",
    ...(retryAfterSeconds !== undefined && { "retry-after": String(retryAfterSeconds) }),
  });
  response.end(
    JSON.stringify({
      type: `urn:runline:problem:${code}`,
      title: code,
      status,
      detail: `fake ${code}`,
      code,
      request_id: "fake",
    }),
  );
}

/** A run's log: RUN_STARTED, `count` CUSTOM events, RUN_FINISHED. */
export function fakeLog(count: number): AguiEvent[] {
  return [
    { type: "RUN_STARTED", threadId: "c", runId: "r" },
    ...Array.from({ length: count }, (_, i) => ({ type: "CUSTOM", name: `e${i}`, value: i })),
    { type: "RUN_FINISHED", threadId: "c", runId: "r" },
  ];
}
