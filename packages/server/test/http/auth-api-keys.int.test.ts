/**
 * API keys (docs/api.md §2): created with the secret shown once, listed without it, revoked with
 * immediate effect, all with scope `admin` and within the caller's project; and the secret is
 * not recoverable from what the database holds.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { DEFAULT_KEY_SCOPES } from "../../src/auth/auth-context.ts";
import { bearer, createKey, secretOf } from "../auth/fixtures.ts";
import {
  createOtherProject,
  describeEachStore,
  startTestServer,
  type TestServer,
} from "../helpers/server.ts";
import { freshStoreLocation, storeTargets, type TestStoreLocation } from "../helpers/stores.ts";

describeEachStore("API key management", (get) => {
  test("POST /api-keys returns the key once, with default scopes all but admin", async () => {
    const server = get();
    const response = await server.request("POST", "/api-keys", {});
    assert.equal(response.status, 201, response.text);
    assert.equal(response.headers.get("cache-control"), "no-store");
    const { id, name, prefix, scopes, created_at, key } = response.body;
    assert.deepEqual(Object.keys(response.body).sort(), [
      "created_at",
      "id",
      "key",
      "last_used_at",
      "name",
      "prefix",
      "revoked_at",
      "scopes",
    ]);
    assert.equal(typeof id, "string");
    assert.equal(name, null);
    assert.deepEqual(scopes, [...DEFAULT_KEY_SCOPES]);
    assert.ok(!Number.isNaN(Date.parse(created_at)));
    const match = /^vf_([A-Za-z0-9]+)_(\S+)$/.exec(key);
    assert.ok(match, key);
    assert.equal(match[1], prefix);
    assert.ok(match[2]!.length >= 40, "the secret carries at least 240 bits");
    const use = await server.request("GET", "/runs", undefined, bearer(key));
    assert.equal(use.status, 200);
    assert.equal((await server.request("GET", "/api-keys", undefined, bearer(key))).status, 403);
  });

  test("a key gets exactly the scopes asked for; unknown scopes and fields are 400", async () => {
    const server = get();
    const response = await server.request("POST", "/api-keys", {
      name: "reader",
      scopes: ["agent-runs:read"],
    });
    assert.equal(response.status, 201);
    assert.equal(response.body.name, "reader");
    assert.deepEqual(response.body.scopes, ["agent-runs:read"]);
    const key = response.body.key;
    assert.equal((await server.request("GET", "/runs", undefined, bearer(key))).status, 200);
    assert.equal((await server.request("POST", "/runs", {}, bearer(key))).status, 403);

    for (const body of [{ scopes: ["root"] }, { scopes: [] }, { nmae: "typo" }, { name: "" }]) {
      const refused = await server.request("POST", "/api-keys", body);
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.equal(refused.body.code, "invalid_request");
    }
  });

  test("GET /api-keys lists the project's keys without secret or hash", async () => {
    const server = get();
    const created = await createKey(server, undefined, "listed");
    const response = await server.request("GET", "/api-keys");
    assert.equal(response.status, 200);
    const listed = response.body.data.find((k: { id: string }) => k.id === created.id);
    assert.ok(listed);
    assert.deepEqual(Object.keys(listed).sort(), [
      "created_at",
      "id",
      "last_used_at",
      "name",
      "prefix",
      "revoked_at",
      "scopes",
    ]);
    const secret = secretOf(created.key);
    assert.ok(!response.text.includes(secret));
    assert.ok(!response.text.includes("secret_hash"));
    assert.ok(!response.text.includes(secretOf(server.key)));
  });

  test("DELETE /api-keys/{id} revokes at once; again is 204; unknown is 404", async () => {
    const server = get();
    const created = await createKey(server);
    assert.equal(
      (await server.request("GET", "/runs", undefined, bearer(created.key))).status,
      200,
    );
    const revoked = await server.request("DELETE", `/api-keys/${created.id}`);
    assert.equal(revoked.status, 204);
    assert.equal(revoked.text, "");
    const after = await server.request("GET", "/runs", undefined, bearer(created.key));
    assert.equal(after.status, 401);
    assert.equal(after.body.code, "unauthenticated");
    const listed = (await server.request("GET", "/api-keys")).body.data.find(
      (k: { id: string }) => k.id === created.id,
    );
    assert.ok(listed.revoked_at);
    assert.equal((await server.request("DELETE", `/api-keys/${created.id}`)).status, 204);
    const unknown = await server.request("DELETE", "/api-keys/no-such-key");
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, "not_found");
  });

  test("keys of another project are invisible and cannot be revoked from here", async () => {
    const server = get();
    const otherKey = await createOtherProject(server);
    const otherList = await server.request("GET", "/api-keys", undefined, bearer(otherKey));
    assert.equal(otherList.status, 200);
    assert.equal(otherList.body.data.length, 1);
    const otherId = otherList.body.data[0].id;
    const ours = (await server.request("GET", "/api-keys")).body.data.map(
      (k: { id: string }) => k.id,
    );
    assert.ok(!ours.includes(otherId));

    const attempt = await server.request("DELETE", `/api-keys/${otherId}`);
    assert.equal(attempt.status, 404);
    assert.equal((await server.request("GET", "/runs", undefined, bearer(otherKey))).status, 200);
  });

  test("managing keys needs the admin scope", async () => {
    const server = get();
    const { key, id } = await createKey(server);
    for (const [method, path, body] of [
      ["POST", "/api-keys", {}],
      ["GET", "/api-keys"],
      ["DELETE", `/api-keys/${id}`],
    ] as const) {
      const response = await server.request(method, path, body, bearer(key));
      assert.equal(response.status, 403, `${method} ${path}`);
      assert.equal(response.body.code, "forbidden");
    }
  });
});

/** Every text the database holds, as raw bytes (SQLite files) or rows (every PostgreSQL table). */
async function databaseContents(location: TestStoreLocation): Promise<string> {
  if (location.dataDir) {
    const files = ["runline.db", "runline.db-wal"].map((f) => join(location.dataDir!, f));
    return files
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f).toString("latin1"))
      .join("\n");
  }
  const client = new pg.Client({ connectionString: location.databaseUrl });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
    );
    const dumps: string[] = [];
    for (const { table_name } of tables.rows) {
      const rows = await client.query(`SELECT t::text AS row FROM "${table_name}" t`);
      dumps.push(...rows.rows.map((r: { row: string }) => r.row));
    }
    assert.ok(tables.rows.some((t) => t.table_name === "api_keys"));
    return dumps.join("\n");
  } finally {
    await client.end();
  }
}

for (const target of storeTargets()) {
  describe(`API key secrets at rest [${target.kind}]`, { skip: target.skip }, () => {
    let location: TestStoreLocation;
    let server: TestServer;
    before(async () => {
      location = await freshStoreLocation(target.kind);
      server = await startTestServer(target.kind, {
        ...(location.dataDir && { RUNLINE_DATA_DIR: location.dataDir }),
        ...(location.databaseUrl && { DATABASE_URL: location.databaseUrl }),
      });
    });
    after(async () => {
      await server.close();
      await location.dispose();
    });

    test("the database holds no key secret, only its prefix and hash", async () => {
      const created = await createKey(server, undefined, "at-rest");
      const secret = secretOf(created.key);
      assert.equal(
        (await server.request("GET", "/runs", undefined, bearer(created.key))).status,
        200,
      );
      const contents = await databaseContents(location);
      assert.ok(contents.includes(created.prefix), "the scan sees the key's row");
      assert.ok(!contents.includes(secret), "the new key's secret is stored");
      assert.ok(!contents.includes(secretOf(server.key)), "the bootstrap secret is stored");
    });
  });
}
