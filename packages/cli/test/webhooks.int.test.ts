/**
 * `runline webhooks add|ls|rm|deliveries` (docs/api.md §10), run as a process against a real
 * server: what they create and print, the secret shown once, and usage errors.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runline } from "./helpers/cli.ts";
import { newRun, useServer } from "./helpers/server.ts";

describe("runline webhooks", () => {
  const suite = useServer();

  test("add prints the id and the secret once; ls lists without it; deliveries shows a page; rm deletes", async () => {
    const { client, env } = suite();
    const added = await runline(
      ["webhooks", "add", "https://203.0.113.5/hook", "--events", "interrupt.opened,run.created"],
      env,
    );
    assert.equal(added.status, 0, added.stderr);
    const id = /Created webhook (wh_\S+)/.exec(added.stdout)?.[1];
    assert.ok(id, added.stdout);
    assert.match(added.stdout, /Signing secret \(shown only now\): whsec_\S+/);

    const listed = await runline(["webhooks", "ls"], env);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(id));
    assert.doesNotMatch(listed.stdout, /whsec_/);
    const json = JSON.parse((await runline(["webhooks", "ls", "--json"], env)).stdout);
    assert.deepEqual(
      json.data.map((w: { id: string }) => w.id),
      [id],
    );

    await newRun(client);
    const page = JSON.parse(
      (await runline(["webhooks", "deliveries", id, "--json", "--limit", "5"], env)).stdout,
    );
    assert.equal(page.data.length, 1);
    assert.equal(page.data[0].type, "run.created");
    const shown = await runline(["webhooks", "deliveries", id], env);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /run\.created/);

    const removed = await runline(["webhooks", "rm", id], env);
    assert.equal(removed.status, 0, removed.stderr);
    assert.equal(removed.stdout, `Deleted webhook ${id}.\n`);
    assert.deepEqual((await client.listWebhooks()).data, []);
    const again = await runline(["webhooks", "rm", id], env);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /HTTP 404/);
  });

  test("a refused URL exits 1 with invalid_webhook_url; bad options are usage errors (exit 2)", async () => {
    const { env } = suite();
    const refused = await runline(
      ["webhooks", "add", "http://127.0.0.1:9/hook", "--events", "run.created"],
      env,
    );
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /invalid_webhook_url/);
    const noEvents = await runline(["webhooks", "add", "https://203.0.113.5/"], env);
    assert.equal(noEvents.status, 2);
    assert.match(noEvents.stderr, /--events is required/);
    const unknown = await runline(
      ["webhooks", "add", "https://203.0.113.5/", "--events", "run.exploded"],
      env,
    );
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown event type "run.exploded"/);
    const help = await runline(["webhooks", "--help"], env);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /webhooks deliveries <webhook_id>/);
  });
});
