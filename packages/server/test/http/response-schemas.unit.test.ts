/**
 * The integration suite's test servers check every JSON reply against its route's response
 * schema (`validateResponses`, set in test/helpers/server.ts). These pin what the check does.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { checkedSerializer, ResponseSchemaMismatch } from "../../src/http/checked-serializer.ts";

const route = (schema: unknown) =>
  checkedSerializer({ schema: schema as never, method: "GET", url: "/x", httpStatus: "200" });

test("a reply matching its response schema is serialised as plain JSON", () => {
  const serialise = route(z.object({ id: z.string(), n: z.number().nullable() }));
  assert.equal(serialise({ id: "a", n: null }), '{"id":"a","n":null}');
});

test("a reply that drifts from its response schema is refused, naming the route and the field", () => {
  const serialise = route(z.object({ id: z.string(), status: z.enum(["open"]) }));
  const quiet = console.error;
  console.error = () => {};
  try {
    assert.throws(
      () => serialise({ id: "a", status: "closed" }),
      (error: unknown) =>
        error instanceof ResponseSchemaMismatch && /GET \/x 200: .*status/.test(error.message),
    );
    // A field left undefined is absent on the wire, and so missing.
    assert.throws(() => serialise({ id: undefined, status: "open" }), ResponseSchemaMismatch);
  } finally {
    console.error = quiet;
  }
});

test("a route without a zod schema is serialised unchecked", () => {
  assert.equal(route({ type: "object" })({ any: 1 }), '{"any":1}');
});
