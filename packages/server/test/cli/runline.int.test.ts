/**
 * The `runline` command: projects and keys written into the server's store, keys that then
 * work (or, revoked, stop working) against a server on that store, and clear errors.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { runCli } from "../../src/cli/commands.ts";
import { loadConfig } from "../../src/config/config.ts";
import { openStore } from "../../src/store/open-store.ts";
import { bearer, secretOf } from "../auth/fixtures.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { freshStoreLocation, storeTargets, type TestStoreLocation } from "../helpers/stores.ts";

const ENTRY = fileURLToPath(new URL("../../src/cli/runline.ts", import.meta.url));

interface CliResult {
  status: number;
  out: string;
  err: string;
}

async function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
  const status = await runCli(args, io, env);
  return { status, out: out.join(""), err: err.join("") };
}

for (const target of storeTargets()) {
  describe(`runline command [${target.kind}]`, { skip: target.skip }, () => {
    let location: TestStoreLocation;
    let env: Record<string, string>;
    let server: TestServer | undefined;
    before(async () => {
      location = await freshStoreLocation(target.kind);
      env = {
        RUNLINE_SQLITE_SYNCHRONOUS: "NORMAL",
        ...(location.dataDir && { RUNLINE_DATA_DIR: location.dataDir }),
        ...(location.databaseUrl && { DATABASE_URL: location.databaseUrl }),
      };
      // The commands act only on an existing database (as the server's first start leaves it).
      const store = await openStore(loadConfig(env));
      await store.migrate();
      await store.close();
    });
    after(async () => {
      await server?.close();
      await location.dispose();
    });

    test("keys commands on an empty store say to create a project first", async () => {
      const result = await cli(["keys", "list"], env);
      assert.equal(result.status, 1);
      assert.match(result.err, /no project yet.*runline projects create/);
    });

    test("projects create prints the project id and an admin key that works, once", async () => {
      const created = await cli(["projects", "create", "acme"], env);
      assert.equal(created.status, 0, created.err);
      const projectId = /Created project (\S+) \(acme\)/.exec(created.out)?.[1];
      const key = /\n {2}(vf_\S+)\n/.exec(created.out)?.[1];
      assert.ok(projectId && key, created.out);
      server = await startTestServer(target.kind, env);
      const listed = await server.request("GET", "/api-keys", undefined, bearer(key));
      assert.equal(listed.status, 200, "the printed key is an admin key");
      const summary = await server.request("GET", "/runs", undefined, bearer(key));
      assert.equal(summary.status, 200);

      const json = await cli(["projects", "create", "beta", "--json"], env);
      assert.equal(json.status, 0);
      const parsed = JSON.parse(json.out);
      assert.notEqual(parsed.project_id, projectId);
      assert.match(parsed.key, /^vf_/);
    });

    test("projects create refuses a second project of the same name; projects list shows each once", async () => {
      const first = await cli(["projects", "create", "twice", "--json"], env);
      assert.equal(first.status, 0, first.err);
      const { project_id } = JSON.parse(first.out);
      const second = await cli(["projects", "create", " twice "], env);
      assert.equal(second.status, 1);
      assert.equal(
        second.err,
        `runline: a project named "twice" exists already (id ${project_id}); use --project ${project_id} with keys commands, or choose another name\n`,
      );
      const listed = await cli(["projects", "list", "--json"], env);
      assert.equal(listed.status, 0, listed.err);
      const named = (JSON.parse(listed.out).data as { id: string; name: string }[]).filter(
        (p) => p.name === "twice",
      );
      assert.deepEqual(
        named.map((p) => p.id),
        [project_id],
      );
      const table = await cli(["projects", "list"], env);
      assert.match(table.out, /^ID\s+NAME\s+CREATED\n/);
      assert.match(table.out, new RegExp(`^${project_id}\\s+twice\\s+\\d{4}-`, "m"));
    });

    test("keys create / list / revoke manage a project's keys", async () => {
      assert.ok(server);
      const created = await cli(
        ["keys", "create", "--name", "ci", "--scopes", "agent-runs:read,runs:write", "--json"],
        env,
      );
      assert.equal(created.status, 0, created.err);
      const key = JSON.parse(created.out);
      assert.deepEqual(key.scopes, ["agent-runs:read", "runs:write"]);
      assert.equal((await server.request("GET", "/runs", undefined, bearer(key.key))).status, 200);
      assert.equal(
        (await server.request("GET", "/api-keys", undefined, bearer(key.key))).status,
        403,
      );

      const list = await cli(["keys", "list", "--project", key.project_id], env);
      assert.equal(list.status, 0, list.err);
      assert.match(list.out, new RegExp(key.id));
      assert.match(list.out, /\bci\b/);
      assert.ok(!list.out.includes(secretOf(key.key)), "the list shows no secret");

      // PostgreSQL: another process's revocation reaches the server's key cache by NOTIFY.
      const feed = server.server.live.feed;
      const heard = feed ? once(feed, "apiKeyRevoked") : undefined;
      const revoked = await cli(["keys", "revoke", key.id], env);
      assert.equal(revoked.status, 0, revoked.err);
      if (heard) assert.deepEqual(await heard, [key.id]);
      assert.equal((await server.request("GET", "/runs", undefined, bearer(key.key))).status, 401);
      const listedJson = JSON.parse((await cli(["keys", "list", "--json"], env)).out);
      const row = listedJson.data.find((k: { id: string }) => k.id === key.id);
      assert.ok(row.revoked_at);
      assert.equal(row.secret_hash, undefined);
    });

    test("mistakes get clear messages and exit statuses", async () => {
      const unknownKey = await cli(["keys", "revoke", "no-such-key"], env);
      assert.equal(unknownKey.status, 1);
      assert.match(unknownKey.err, /API key no-such-key not found/);

      const noProject = await cli(["keys", "create", "--project", "no-such-project"], env);
      assert.equal(noProject.status, 1);
      assert.match(noProject.err, /no project no-such-project/);

      const badScope = await cli(["keys", "create", "--scopes", "root"], env);
      assert.equal(badScope.status, 2);
      assert.match(badScope.err, /unknown scope root/);

      const unknownCommand = await cli(["keys", "rotate"], env);
      assert.equal(unknownCommand.status, 2);
      assert.match(unknownCommand.err, /unknown command "keys rotate"/);

      const unknownOption = await cli(["keys", "list", "--projekt", "x"], env);
      assert.equal(unknownOption.status, 2);

      const missingName = await cli(["projects", "create"], env);
      assert.equal(missingName.status, 2);

      const badConfig = await cli(["keys", "list"], { DATABASE_URL: "mysql://nope" });
      assert.equal(badConfig.status, 2);
      assert.match(badConfig.err, /DATABASE_URL/);
    });
  });
}

test("with a data directory that holds no database (a mistyped RUNLINE_DATA_DIR) every command says so, exits 2 and creates nothing", async () => {
  const parent = await freshStoreLocation("sqlite");
  try {
    const mistyped = join(parent.dataDir!, "dat");
    for (const args of [
      ["keys", "list"],
      ["projects", "list"],
      ["projects", "create", "acme"],
    ]) {
      const result = await cli(args, { RUNLINE_DATA_DIR: mistyped });
      assert.equal(result.status, 2, args.join(" "));
      assert.equal(
        result.err,
        `runline: no Runline database at ${join(mistyped, "runline.db")}: check RUNLINE_DATA_DIR ("${mistyped}"), or start the server once with it to create the database\n`,
      );
    }
    assert.equal(existsSync(mistyped), false);
  } finally {
    await parent.dispose();
  }
});

test("runline --help, run as a process, prints the usage and exits 0", () => {
  const result = spawnSync(process.execPath, ["--import", "tsx", ENTRY, "--help"], {
    encoding: "utf8",
    timeout: 20_000,
  });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /runline projects create <name>/);
  assert.match(result.stdout, /runline keys revoke <key-id>/);
  const bare = spawnSync(process.execPath, ["--import", "tsx", ENTRY], {
    encoding: "utf8",
    timeout: 20_000,
  });
  assert.equal(bare.status, 2);
  assert.match(bare.stderr, /Usage:/);
});
