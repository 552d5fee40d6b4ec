/**
 * `runline serve`, `runline projects …` and `runline keys …`, run as processes: the admin
 * commands act on the configured store through the server package's own commands, and
 * `serve` starts that same server from the environment, as `npm start` does.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadConfig, openStore } from "@runline/server";
import { freePort, runline, spawnRunline } from "./helpers/cli.ts";

describe("runline serve, projects and keys", () => {
  let dataDir: string;
  let env: Record<string, string>;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "runline-cli-"));
    env = { RUNLINE_DATA_DIR: dataDir, RUNLINE_SQLITE_SYNCHRONOUS: "NORMAL" };
    // The admin commands act only on an existing database, as the server's first start leaves it.
    const store = await openStore(loadConfig(env));
    await store.migrate();
    await store.close();
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  test("projects create and keys create, list and revoke act on the configured store", async () => {
    const project = await runline(["projects", "create", "acme", "--json"], env);
    assert.equal(project.status, 0, project.stderr);
    const { project_id, key_id, key } = JSON.parse(project.stdout);
    assert.match(key, /^vf_/);
    const again = await runline(["projects", "create", "acme"], env);
    assert.equal(again.status, 1, "a second project named acme is refused");
    assert.match(again.stderr, /a project named "acme" exists already/);
    const projects = await runline(["projects", "list", "--json"], env);
    assert.deepEqual(
      JSON.parse(projects.stdout).data.map((p: { id: string }) => p.id),
      [project_id],
    );

    const created = await runline(
      [
        "keys",
        "create",
        "--project",
        project_id,
        "--name",
        "ci",
        "--scopes",
        "agent-runs:read",
        "--json",
      ],
      env,
    );
    assert.equal(created.status, 0, created.stderr);
    const ci = JSON.parse(created.stdout);
    assert.deepEqual(ci.scopes, ["agent-runs:read"]);

    const revoked = await runline(["keys", "revoke", ci.id, "--project", project_id], env);
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`Revoked API key ${ci.id}`));

    const listed = await runline(["keys", "list", "--project", project_id, "--json"], env);
    assert.equal(listed.status, 0, listed.stderr);
    const keys = JSON.parse(listed.stdout).data as { id: string; revoked_at: string | null }[];
    assert.deepEqual(
      keys.map((k) => [k.id, k.revoked_at === null]).sort(),
      [
        [key_id, true],
        [ci.id, false],
      ].sort(),
    );
  });

  test("serve starts the server from the environment, which the runs commands then reach, and stops on SIGTERM", async () => {
    const port = await freePort();
    const key = "vf_servetest_0123456789abcdefghij";
    const server = spawnRunline(["serve"], {
      ...env,
      PORT: String(port),
      HOST: "127.0.0.1",
      RUNLINE_BOOTSTRAP_KEY: key,
      RUNLINE_LOG_LEVEL: "info",
    });
    try {
      await server.waitForStdout((out) => out.includes('"msg":"runline is serving"'), "readiness");
      const listed = await runline(["runs", "ls", "--json"], {
        RUNLINE_URL: `http://127.0.0.1:${port}`,
        RUNLINE_API_KEY: key,
      });
      assert.equal(listed.status, 0, listed.stderr);
      assert.deepEqual(JSON.parse(listed.stdout).data, []);
    } finally {
      server.child.kill("SIGTERM");
    }
    const stopped = await server.finished;
    assert.equal(stopped.status, 0, stopped.stderr);
  });
});
