/**
 * docs/api.md §11 end to end: the real server process (`src/main.ts`) with OTEL_* variables set
 * exports its spans over OTLP/HTTP (JSON) to a receiver in this test process. Requests carry a
 * W3C `traceparent`; after a graceful stop (which flushes the exporter) the received spans are
 * checked for names, attributes and parent links, and the process's log lines for `trace_id`.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { BOOTSTRAP_KEY } from "../helpers/server.ts";
import {
  type ServerProcess,
  startServerProcess,
  stopServerProcess,
} from "../helpers/server-process.ts";
import { freshStoreLocation, storeTargets, type TestStoreLocation } from "../helpers/stores.ts";

/** A span as the OTLP JSON encoding carries it (ids in hex). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
  status?: { code?: number };
}

const SPAN_KIND_SERVER = 2;

/** An in-process OTLP/HTTP receiver: collects the spans of every POST to /v1/traces. */
class OtlpReceiver {
  readonly spans: OtlpSpan[] = [];
  readonly resources: Record<string, unknown>[] = [];
  readonly contentTypes = new Set<string>();
  /** Webhook deliveries received at /hook: their `traceparent` headers. */
  readonly hookTraceparents: string[] = [];
  #hookArrived!: () => void;
  readonly hookArrived = new Promise<void>((resolve) => {
    this.#hookArrived = resolve;
  });
  readonly #server: Server;

  constructor() {
    this.#server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => {
        body += chunk;
      });
      req.on("end", () => {
        if (req.method === "POST" && req.url === "/hook") {
          this.hookTraceparents.push(String(req.headers.traceparent));
          res.writeHead(204).end();
          this.#hookArrived();
          return;
        }
        if (req.method !== "POST" || req.url !== "/v1/traces") {
          res.writeHead(404).end();
          return;
        }
        this.contentTypes.add(String(req.headers["content-type"]));
        const payload = JSON.parse(body) as {
          resourceSpans: {
            resource: { attributes: OtlpSpan["attributes"] };
            scopeSpans: { spans: OtlpSpan[] }[];
          }[];
        };
        for (const resourceSpans of payload.resourceSpans) {
          this.resources.push(attributesOf(resourceSpans.resource.attributes));
          for (const scope of resourceSpans.scopeSpans) this.spans.push(...scope.spans);
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** OTLP attributes as a plain object (intValue may come as a string: int64). */
function attributesOf(list: OtlpSpan["attributes"]): Record<string, unknown> {
  return Object.fromEntries(
    list.map(({ key, value }) => {
      const [kind, raw] = Object.entries(value)[0] ?? [];
      return [key, kind === "intValue" ? Number(raw) : raw];
    }),
  );
}

const hex = (bytes: number): string => randomBytes(bytes).toString("hex");

/** The JSON log lines of the process's output (the banner and other text skipped). */
function logLines(output: string): Record<string, unknown>[] {
  return output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

for (const target of storeTargets()) {
  describe(`traces over OTLP/HTTP [${target.kind}]`, { skip: target.skip }, () => {
    const receiver = new OtlpReceiver();
    let location: TestStoreLocation;
    let running: ServerProcess;
    let exitCode: number | null;
    // The caller's trace the requests continue.
    const callerTrace = hex(16);
    const callerSpans = { create: hex(8), append: hex(8), claim: hex(8) };
    const traceparent = (parent: string) => ({ traceparent: `00-${callerTrace}-${parent}-01` });
    let projectId: string;
    let runId: string;
    let claimedRunId: string;
    let workerId: string;
    const requestIds: Record<string, string> = {};

    before(async () => {
      const endpoint = await receiver.listen();
      location = await freshStoreLocation(target.kind);
      running = await startServerProcess(location, {
        RUNLINE_LOG_LEVEL: "info",
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_SERVICE_NAME: "runline-under-test",
        RUNLINE_WEBHOOKS_ALLOW_PRIVATE: "true",
      });
      const send = async (
        name: string,
        method: string,
        path: string,
        body: unknown,
        headers: Record<string, string> = {},
      ) => {
        const response = await fetch(running.url + path, {
          method,
          headers: {
            authorization: `Bearer ${BOOTSTRAP_KEY}`,
            ...(body !== undefined && { "content-type": "application/json" }),
            ...headers,
          },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
        requestIds[name] = response.headers.get("x-request-id") ?? "";
        // biome-ignore lint/suspicious/noExplicitAny: responses are inspected field by field
        return { status: response.status, body: (await response.json()) as any };
      };

      projectId = (await send("credentials", "GET", "/credentials/current", undefined)).body
        .project_id;
      const hook = await send("webhook", "POST", "/webhooks", {
        url: `${endpoint}/hook`,
        events: ["run.created"],
      });
      assert.equal(hook.status, 201);
      const created = await send(
        "create",
        "POST",
        "/runs",
        {
          kind: "agent",
          owner: { kind: "conversation", id: randomUUID() },
          request: { agent_id: "a" },
        },
        traceparent(callerSpans.create),
      );
      assert.equal(created.status, 202);
      runId = created.body.run.run_id;
      const appended = await send(
        "append",
        "POST",
        `/runs/${runId}/events`,
        {
          events: [
            { type: "TEXT_MESSAGE_START", messageId: "m", role: "assistant" },
            { type: "TEXT_MESSAGE_CONTENT", messageId: "m", delta: "hi" },
            { type: "TEXT_MESSAGE_END", messageId: "m" },
          ],
        },
        traceparent(callerSpans.append),
      );
      assert.equal(appended.status, 200);

      const kind = `traced-${randomUUID()}`;
      const worker = await send("register", "POST", "/agent-workers/projects/current/workers", {
        implementation_kind: kind,
        worker_key: randomUUID(),
      });
      assert.ok(worker.status === 201 || worker.status === 200);
      workerId = worker.body.worker.id;
      const forWorker = await send("create-claimable", "POST", "/runs", {
        kind: "agent",
        owner: { kind: "conversation", id: randomUUID() },
        request: { agent_id: "a", implementation_kind: kind },
      });
      claimedRunId = forWorker.body.run.run_id;
      const claimed = await send(
        "claim",
        "POST",
        `/agent-workers/workers/${workerId}/claim`,
        { lease_duration_seconds: 60 },
        { authorization: `Bearer ${worker.body.token}`, ...traceparent(callerSpans.claim) },
      );
      assert.equal(claimed.status, 200);
      assert.equal(claimed.body.run.run_id, claimedRunId);
      assert.equal((await send("missing", "GET", `/runs/${randomUUID()}`, undefined)).status, 404);
      assert.equal((await send("health", "GET", "/healthz", undefined)).status, 200);
      assert.equal((await send("unknown", "GET", "/no-such-path", undefined)).status, 404);

      await receiver.hookArrived;
      // A graceful stop flushes the spans still batched.
      exitCode = await stopServerProcess(running);
    });
    after(async () => {
      if (running) await stopServerProcess(running);
      await receiver.close();
      await location?.dispose();
    });

    const serverSpan = (name: string): OtlpSpan => {
      const found = receiver.spans.find(
        (s) =>
          s.kind === SPAN_KIND_SERVER &&
          attributesOf(s.attributes)["runline.request_id"] === requestIds[name],
      );
      assert.ok(
        found,
        `no server span for the ${name} request; received: ${receiver.spans.map((s) => s.name).join(", ")}`,
      );
      return found;
    };
    const childrenOf = (span: OtlpSpan, name?: string): OtlpSpan[] =>
      receiver.spans.filter(
        (s) =>
          s.traceId === span.traceId &&
          s.parentSpanId === span.spanId &&
          (name === undefined || s.name === name),
      );

    test("a webhook delivery is a span of its own, and the receiver gets its trace context", () => {
      const deliveries = receiver.spans.filter((s) => s.name === "webhook.deliver");
      assert.ok(deliveries.length >= 1, "no webhook.deliver span");
      const delivered = deliveries.find(
        (s) => attributesOf(s.attributes)["runline.webhook.outcome"] === "delivered",
      );
      assert.ok(delivered, "no delivered attempt");
      const attributes = attributesOf(delivered.attributes);
      assert.equal(attributes["runline.webhook.type"], "run.created");
      assert.equal(attributes["http.response.status_code"], 204);
      assert.ok(
        receiver.hookTraceparents.includes(`00-${delivered.traceId}-${delivered.spanId}-01`),
        `traceparent sent: ${receiver.hookTraceparents.join(", ")}`,
      );
    });

    test("the process stops cleanly and its spans arrive as OTLP JSON under the configured service name", () => {
      assert.equal(exitCode, 0, running.output());
      assert.ok(receiver.spans.length > 0, "no spans received");
      assert.deepEqual([...receiver.contentTypes], ["application/json"]);
      assert.ok(receiver.resources.every((r) => r["service.name"] === "runline-under-test"));
    });

    test("each request is a server span named by its route template, with status, project and run", () => {
      const append = serverSpan("append");
      assert.equal(append.name, "POST /runs/:run_id/events");
      assert.deepEqual(
        {
          ...attributesOf(append.attributes),
          "user_agent.original": undefined,
          "network.protocol.version": undefined,
        },
        {
          "http.request.method": "POST",
          "http.route": "/runs/:run_id/events",
          "http.response.status_code": 200,
          "url.path": `/runs/${runId}/events`,
          "url.scheme": "http",
          "runline.request_id": requestIds.append,
          "runline.project_id": projectId,
          "runline.run_id": runId,
          "user_agent.original": undefined,
          "network.protocol.version": undefined,
        },
      );
      const create = serverSpan("create");
      assert.equal(create.name, "POST /runs");
      assert.equal(attributesOf(create.attributes)["http.response.status_code"], 202);
      // A 404 from a route is a client error: no span error.
      const missing = serverSpan("missing");
      assert.equal(missing.name, "GET /runs/:run_id");
      assert.equal(attributesOf(missing.attributes)["http.response.status_code"], 404);
      assert.notEqual(missing.status?.code, 2);
      // No route at all: the method alone names it (a path would make names unbounded).
      const unknown = serverSpan("unknown");
      assert.equal(unknown.name, "GET");
      assert.equal(attributesOf(unknown.attributes)["http.route"], undefined);
      // Public route: no credential, so no project.
      const health = serverSpan("health");
      assert.equal(health.name, "GET /healthz");
      assert.equal(attributesOf(health.attributes)["runline.project_id"], undefined);
    });

    test("a request with a traceparent continues the caller's trace; one without starts its own", () => {
      for (const name of ["create", "append", "claim"] as const) {
        const span = serverSpan(name);
        assert.equal(span.traceId, callerTrace, name);
        assert.equal(span.parentSpanId, callerSpans[name], name);
      }
      const health = serverSpan("health");
      assert.notEqual(health.traceId, callerTrace);
      assert.ok(!health.parentSpanId, "a fresh trace's server span is a root");
    });

    test("an append is an `append` span under its request, with the run id and event count, and its store write under it", () => {
      const [append] = childrenOf(serverSpan("append"), "append");
      assert.ok(append, "no append span under the request span");
      const attributes = attributesOf(append.attributes);
      assert.equal(attributes["runline.run_id"], runId);
      assert.equal(attributes["runline.events.count"], 3);
      assert.equal(attributes["runline.events.appended"], 3);
      // A run's first append starts it: a store transaction, a child of the append.
      const writes = childrenOf(append).filter((s) => s.name.startsWith("store."));
      assert.ok(writes.length >= 1, "no store span under the append span");
      assert.equal(
        attributesOf(writes[0]!.attributes)["db.system.name"],
        target.kind === "postgres" ? "postgresql" : "sqlite",
      );
    });

    test("creating a run is a store transaction under its request span", () => {
      const transactions = childrenOf(serverSpan("create"), "store.transaction");
      assert.ok(transactions.length >= 1, "no store.transaction under POST /runs");
    });

    test("a claim is a `claim` span under its request, naming the worker and the run it got, with its transaction under it", () => {
      const [claim] = childrenOf(serverSpan("claim"), "claim");
      assert.ok(claim, "no claim span under the claim request");
      const attributes = attributesOf(claim.attributes);
      assert.equal(attributes["runline.worker_id"], workerId);
      assert.equal(attributes["runline.run_id"], claimedRunId);
      assert.ok(childrenOf(claim, "store.transaction").length >= 1);
    });

    test("every log line of a traced request carries its trace_id and a span id of that trace", () => {
      const lines = logLines(running.output());
      for (const name of ["create", "append", "claim"] as const) {
        const ofRequest = lines.filter((line) => line.reqId === requestIds[name]);
        assert.ok(ofRequest.length >= 2, `${name}: expected the incoming and completed lines`);
        for (const line of ofRequest) {
          assert.equal(line.trace_id, callerTrace, `${name}: ${JSON.stringify(line)}`);
          assert.match(String(line.span_id), /^[0-9a-f]{16}$/);
        }
      }
      const health = lines.filter((line) => line.reqId === requestIds.health);
      assert.ok(health.length >= 1);
      for (const line of health) assert.equal(line.trace_id, serverSpan("health").traceId);
    });
  });
}
