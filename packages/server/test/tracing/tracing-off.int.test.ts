/**
 * docs/api.md §11, "unset → no tracing cost": a server started without any OTEL_* variable never
 * loads the OpenTelemetry SDK (only the API facade, which `withSpan` checks and skips), makes
 * no spans and adds no trace headers. (This file runs in its own process: nothing else here
 * starts tracing.)
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { trace } from "@opentelemetry/api";
import { outgoingTraceHeaders, tracingEnabled, withSpan } from "../../src/tracing/spans.ts";
import { createRun, describeEachStore } from "../helpers/server.ts";

const require = createRequire(import.meta.url);
const SDK_PACKAGES = [
  "@opentelemetry/sdk-trace",
  "@opentelemetry/exporter-trace-otlp-http",
  "@opentelemetry/resources",
  "@opentelemetry/semantic-conventions",
  "@opentelemetry/context-async-hooks",
];

describeEachStore("tracing unset", (server) => {
  test("serving requests loads no OpenTelemetry SDK module and starts no span", async () => {
    const run = await createRun(server());
    const appended = await server().request(
      "POST",
      `/runs/${run.run_id}/events`,
      { events: [{ type: "STEP_STARTED", stepName: "s" }] },
      { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
    );
    assert.equal(appended.status, 200, appended.text);
    assert.equal(tracingEnabled(), false);
    const loaded = Object.keys(require.cache).filter((file) =>
      SDK_PACKAGES.some((name) => file.includes(`${name}/`)),
    );
    assert.deepEqual(loaded, []);
  });

  test("withSpan runs its function directly, with a span that records nothing, and passes errors through", async () => {
    const value = await withSpan("x", { a: 1 }, async (span) => {
      assert.equal(span.isRecording(), false);
      assert.equal(trace.getActiveSpan(), undefined, "no span made active");
      return 42;
    });
    assert.equal(value, 42);
    await assert.rejects(
      withSpan("x", {}, async () => {
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.deepEqual(outgoingTraceHeaders(), {});
  });
});
