/** `GET /credentials/current`: a credential can learn its own project, kind and scopes. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SCOPES } from "../../src/auth/auth-context.ts";
import { bearer, bootstrapProjectId, createKey } from "../auth/fixtures.ts";
import { describeEachStore } from "../helpers/server.ts";

describeEachStore("GET /credentials/current", (get) => {
  test("names the caller's project, credential kind and exact scopes", async () => {
    const server = get();
    const admin = await server.request("GET", "/credentials/current");
    assert.equal(admin.status, 200);
    assert.deepEqual(admin.body, {
      project_id: await bootstrapProjectId(server),
      kind: "api_key",
      scopes: [...SCOPES],
    });
    const reader = await createKey(server, ["agent-runs:read"]);
    const narrow = await server.request(
      "GET",
      "/credentials/current",
      undefined,
      bearer(reader.key),
    );
    assert.deepEqual(narrow.body.scopes, ["agent-runs:read"]);
    const writer = await createKey(server, ["runs:write"]);
    const refused = await server.request(
      "GET",
      "/credentials/current",
      undefined,
      bearer(writer.key),
    );
    assert.equal(refused.status, 403);
  });
});
