/** Which OTEL_* settings turn tracing on (docs/api.md §11) and which are refused at start. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig } from "../../src/config/config.ts";

const tracing = (env: Record<string, string>) => loadConfig(env).tracing;

test("with no OTEL variable tracing is off", () => {
  assert.deepEqual(tracing({}), { exporters: [], warning: undefined });
});

test("an OTLP endpoint (general or for traces) turns the OTLP exporter on", () => {
  assert.deepEqual(tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }).exporters, [
    "otlp",
  ]);
  assert.deepEqual(
    tracing({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces" }).exporters,
    ["otlp"],
  );
});

test("OTEL_TRACES_EXPORTER names the exporters; none or OTEL_SDK_DISABLED turns tracing off", () => {
  assert.deepEqual(tracing({ OTEL_TRACES_EXPORTER: "otlp" }).exporters, ["otlp"]);
  assert.deepEqual(tracing({ OTEL_TRACES_EXPORTER: "console, otlp" }).exporters, [
    "console",
    "otlp",
  ]);
  assert.deepEqual(
    tracing({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })
      .exporters,
    [],
  );
  assert.deepEqual(
    tracing({ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }).exporters,
    [],
  );
});

test("http/json is taken as is; http/protobuf is exported as JSON with a warning; grpc is refused", () => {
  const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" };
  assert.equal(
    tracing({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" }).warning,
    undefined,
  );
  assert.match(
    String(tracing({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" }).warning),
    /JSON/,
  );
  assert.throws(
    () => tracing({ ...endpoint, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc" }),
    (error: unknown) => error instanceof ConfigError && /grpc/.test(error.message),
  );
});

test("an unknown exporter or a malformed endpoint stops the start with the variable named", () => {
  assert.throws(() => tracing({ OTEL_TRACES_EXPORTER: "zipkin" }), /OTEL_TRACES_EXPORTER/);
  assert.throws(
    () => tracing({ OTEL_EXPORTER_OTLP_ENDPOINT: "not a url" }),
    /OTEL_EXPORTER_OTLP_ENDPOINT/,
  );
});
