/**
 * Webhooks (docs/api.md §10) through the real server on both stores: managing subscriptions,
 * Standard Webhooks deliveries that the `standardwebhooks` package verifies, the bodies of run
 * and input-request changes, retries on a fast schedule, the deliveries listing, and a run
 * deleted before its delivery went out.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { Webhook } from "standardwebhooks";
import {
  createOtherProject,
  createRun,
  describeEachStore,
  type TestServer,
} from "../helpers/server.ts";
import { openRequest, requestPath } from "../human-input/fixtures.ts";
import { deliveries } from "./fixtures.ts";
import { eventually, Receiver } from "./receiver.ts";

const ENV = {
  RUNLINE_WEBHOOKS_ALLOW_PRIVATE: "true",
  RUNLINE_WEBHOOK_RETRY_SCHEDULE: "10ms,10ms",
  RUNLINE_WEBHOOK_POLL_MS: "50",
  RUNLINE_WEBHOOK_TIMEOUT_MS: "5000",
  // The sweeper runs when a test asks (runOnce).
  RUNLINE_SWEEP_INTERVAL_MS: "0",
};

async function addWebhook(
  server: TestServer,
  url: string,
  events: string[],
): Promise<{ id: string; secret: string }> {
  const response = await server.request("POST", "/webhooks", { url, events });
  assert.equal(response.status, 201, response.text);
  return response.body;
}

describeEachStore(
  "webhooks",
  (server) => {
    let receiver: Receiver;
    before(async () => {
      receiver = await Receiver.start();
    });
    after(async () => {
      await receiver.close();
    });

    test("POST /webhooks answers 201 with a whsec_ secret shown once; GET lists it without; DELETE 204, then 404", async () => {
      const created = await server().request("POST", "/webhooks", {
        url: "https://hooks.example/runline",
        events: ["run.completed", "run.failed", "run.completed"],
        description: "ops",
      });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.headers.get("cache-control"), "no-store");
      assert.match(created.body.secret, /^whsec_[A-Za-z0-9+/]+={0,2}$/);
      assert.match(created.body.id, /^wh_/);
      assert.deepEqual(created.body.events, ["run.completed", "run.failed"]);
      assert.equal(created.body.description, "ops");
      const listed = await server().request("GET", "/webhooks");
      assert.equal(listed.status, 200);
      const mine = listed.body.data.find((w: { id: string }) => w.id === created.body.id);
      assert.deepEqual(Object.keys(mine).sort(), [
        "created_at",
        "description",
        "events",
        "id",
        "url",
      ]);
      assert.ok(!listed.text.includes(created.body.secret));
      const removed = await server().request("DELETE", `/webhooks/${created.body.id}`);
      assert.equal(removed.status, 204);
      assert.equal((await server().request("DELETE", `/webhooks/${created.body.id}`)).status, 404);
      const gone = await server().request("GET", `/webhooks/${created.body.id}/deliveries`);
      assert.equal(gone.status, 404);
      const after = await server().request("GET", "/webhooks");
      assert.ok(!after.body.data.some((w: { id: string }) => w.id === created.body.id));
    });

    test("bad bodies are 400 invalid_request; a URL that is not http(s) is 400 invalid_webhook_url", async () => {
      const cases: [unknown, string][] = [
        [{ url: "https://a.example/", events: [] }, "invalid_request"],
        [{ url: "https://a.example/", events: ["run.exploded"] }, "invalid_request"],
        [{ url: "https://a.example/" }, "invalid_request"],
        [{ url: "https://a.example/", events: ["run.created"], extra: 1 }, "invalid_request"],
        [{ url: "ftp://a.example/", events: ["run.created"] }, "invalid_webhook_url"],
        [{ url: "file:///etc/passwd", events: ["run.created"] }, "invalid_webhook_url"],
        [{ url: "not a url", events: ["run.created"] }, "invalid_webhook_url"],
        [{ url: "/relative", events: ["run.created"] }, "invalid_webhook_url"],
      ];
      for (const [body, code] of cases) {
        const response = await server().request("POST", "/webhooks", body);
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.equal(response.body.code, code, JSON.stringify(body));
        assert.match(response.headers.get("content-type") ?? "", /problem\+json/);
      }
    });

    test("a run's changes are delivered signed as Standard Webhooks: verify() accepts each, bodies carry the run summary", async () => {
      const hook = await addWebhook(server(), receiver.url, [
        "run.created",
        "run.running",
        "run.completed",
      ]);
      const run = await createRun(server(), {}, { initial_status: "running" });
      const done = await server().request("POST", `/runs/${run.run_id}/complete`, {
        status: "completed",
      });
      assert.equal(done.status, 200, done.text);
      const mine = (r: { json: { data: { run_id?: string } } }) =>
        r.json.data.run_id === run.run_id;
      const got = await receiver.waitFor((all) => all.filter(mine).length >= 3);
      const verifier = new Webhook(hook.secret);
      const types = [];
      for (const r of got.filter(mine)) {
        const headers = {
          "webhook-id": String(r.headers["webhook-id"]),
          "webhook-timestamp": String(r.headers["webhook-timestamp"]),
          "webhook-signature": String(r.headers["webhook-signature"]),
        };
        assert.deepEqual(verifier.verify(r.body, headers), r.json);
        assert.equal(r.headers["content-type"], "application/json");
        assert.match(headers["webhook-id"], /^msg_/);
        assert.deepEqual(Object.keys(r.json).sort(), ["data", "timestamp", "type"]);
        assert.ok(!Number.isNaN(Date.parse(r.json.timestamp)));
        assert.equal(r.json.data.kind, "agent");
        assert.equal(r.json.data.owner.id, run.conversation_id);
        types.push(r.json.type);
        // A tampered body or another secret is refused.
        assert.throws(() => verifier.verify(`${r.body} `, headers));
        assert.throws(() =>
          new Webhook(`whsec_${Buffer.alloc(24, 7).toString("base64")}`).verify(r.body, headers),
        );
      }
      assert.deepEqual(types.sort(), ["run.completed", "run.created", "run.running"]);
      const completed = got.find((r) => mine(r) && r.json.type === "run.completed")!;
      assert.equal(completed.json.data.status, "completed");
      assert.ok(completed.json.data.completed_at);
      const listed = await eventually(async () => {
        const page = await deliveries(server(), hook.id);
        return page.data.length >= 3 && page.data.every((d) => d.status === "delivered") && page;
      });
      for (const d of listed.data) {
        assert.equal(d.attempts, 1);
        assert.equal(d.last_status_code, 200);
        assert.equal(d.last_error, null);
        assert.equal(d.next_attempt_at, null);
        assert.ok(
          got.some((r) => r.id === d.id),
          "a delivery's id is the webhook-id received",
        );
      }
      await server().request("DELETE", `/webhooks/${hook.id}`);
    });

    test("a change no webhook subscribes to writes no delivery; waiting runs are run.waiting", async () => {
      const hook = await addWebhook(server(), receiver.url, ["run.waiting"]);
      const run = await createRun(server(), {}, { initial_status: "running" });
      const wait = await server().request(
        "POST",
        `/conversations/${run.conversation_id}/runs/${run.run_id}/wait`,
        { tool_call_id: "tc-1" },
      );
      assert.equal(wait.status, 200, wait.text);
      const got = await receiver.waitFor((all) =>
        all.some((r) => r.json.type === "run.waiting" && r.json.data.run_id === run.run_id),
      );
      const waiting = got.find((r) => r.json.data.run_id === run.run_id)!;
      assert.equal(waiting.json.data.status, "waiting");
      const page = await deliveries(server(), hook.id);
      assert.deepEqual(
        page.data.map((d) => d.type),
        ["run.waiting"],
      );
      await server().request("DELETE", `/webhooks/${hook.id}`);
    });

    test("input request changes carry the input-request record with secret values removed", async () => {
      const hook = await addWebhook(server(), receiver.url, [
        "input_request.created",
        "input_request.submitted",
      ]);
      const { run, request } = await openRequest(server(), {
        fields: [
          { type: "password", name: "token", label: "Token", secret: true },
          { type: "text", name: "note", label: "Note" },
        ],
      });
      const answered = await server().request(
        "POST",
        `${requestPath(run.conversation_id, request.id)}/responses`,
        { values: { token: "hunter2", note: "fine" } },
      );
      assert.equal(answered.status, 200, answered.text);
      const got = await receiver.waitFor(
        (all) => all.filter((r) => r.json.data.id === request.id).length >= 2,
      );
      const created = got.find(
        (r) => r.json.type === "input_request.created" && r.json.data.id === request.id,
      )!;
      assert.equal(created.json.data.status, "open");
      assert.equal(created.json.data.run_id, run.run_id);
      const submitted = got.find(
        (r) => r.json.type === "input_request.submitted" && r.json.data.id === request.id,
      )!;
      assert.equal(submitted.json.data.status, "submitted");
      assert.deepEqual(submitted.json.data.latest_response.values, { token: null, note: "fine" });
      assert.ok(!submitted.body.includes("hunter2"));
      await server().request("DELETE", `/webhooks/${hook.id}`);
    });

    test("a receiver answering 500 gets every attempt of the schedule with the same webhook-id, then the delivery is failed", async () => {
      const failing = await Receiver.start();
      failing.respond = () => 500;
      try {
        const hook = await addWebhook(server(), failing.url, ["run.created"]);
        await createRun(server());
        const got = await failing.waitFor((all) => all.length >= 3);
        assert.equal(new Set(got.map((r) => r.id)).size, 1, "one webhook-id on every attempt");
        const failed = await eventually(async () => {
          const page = await deliveries(server(), hook.id);
          return page.data[0]?.status === "failed" && page.data[0];
        });
        assert.equal(failed.attempts, 3, "the first attempt and the two retries of the schedule");
        assert.equal(failed.last_status_code, 500);
        assert.match(String(failed.last_error), /500/);
        assert.equal(failed.next_attempt_at, null);
        assert.equal(failing.received.length, 3, "nothing after failed");
        await server().request("DELETE", `/webhooks/${hook.id}`);
      } finally {
        await failing.close();
      }
    });

    test("a receiver that fails once, then answers 2xx, has the delivery delivered on the retry", async () => {
      const flaky = await Receiver.start();
      flaky.respond = () => (flaky.received.length === 1 ? 503 : 204);
      try {
        const hook = await addWebhook(server(), flaky.url, ["run.created"]);
        await createRun(server());
        const delivered = await eventually(async () => {
          const page = await deliveries(server(), hook.id);
          return page.data[0]?.status === "delivered" && page.data[0];
        });
        assert.equal(delivered.attempts, 2);
        assert.equal(delivered.last_status_code, 204);
        assert.equal(flaky.received.length, 2);
        assert.equal(flaky.received[0]?.id, flaky.received[1]?.id);
        await server().request("DELETE", `/webhooks/${hook.id}`);
      } finally {
        await flaky.close();
      }
    });

    test("an unreachable receiver is a failed attempt with the connection error, retried", async () => {
      const gone = await Receiver.start();
      const url = gone.url;
      await gone.close();
      const hook = await addWebhook(server(), url, ["run.created"]);
      await createRun(server());
      const failed = await eventually(async () => {
        const page = await deliveries(server(), hook.id);
        return page.data[0]?.status === "failed" && page.data[0];
      });
      assert.equal(failed.attempts, 3);
      assert.equal(failed.last_status_code, null);
      assert.match(String(failed.last_error), /ECONNREFUSED/);
      await server().request("DELETE", `/webhooks/${hook.id}`);
    });

    test("the deliveries listing pages newest first with signed cursors and strict limits", async () => {
      const hook = await addWebhook(server(), receiver.url, ["run.created"]);
      for (let i = 0; i < 5; i++) await createRun(server());
      const first = await deliveries(server(), hook.id, "?limit=2");
      assert.equal(first.data.length, 2);
      assert.ok(first.page_info.next);
      const second = await deliveries(server(), hook.id, `?limit=2&cursor=${first.page_info.next}`);
      const third = await deliveries(server(), hook.id, `?limit=2&cursor=${second.page_info.next}`);
      const ids = [...first.data, ...second.data, ...third.data].map((d) => d.id);
      assert.equal(ids.length, 5);
      assert.equal(new Set(ids).size, 5);
      assert.equal(third.page_info.next, null);
      const all = await deliveries(server(), hook.id);
      assert.deepEqual(
        all.data.map((d) => d.id),
        ids,
        "newest first, pages in order",
      );
      const times = all.data.map((d) => String(d.created_at));
      assert.deepEqual([...times].sort().reverse(), times);
      for (const limit of ["0", "101", "1e1", "+5", "2.0", "x"]) {
        const bad = await server().request("GET", `/webhooks/${hook.id}/deliveries?limit=${limit}`);
        assert.equal(bad.status, 400, limit);
        assert.equal(bad.body.code, "invalid_request", limit);
      }
      const other = await addWebhook(server(), receiver.url, ["run.created"]);
      const foreign = await server().request(
        "GET",
        `/webhooks/${other.id}/deliveries?cursor=${first.page_info.next}`,
      );
      assert.equal(foreign.status, 400);
      assert.equal(foreign.body.code, "invalid_cursor");
      assert.equal(
        (await server().request("GET", `/webhooks/wh_${randomUUID()}/deliveries`)).status,
        404,
      );
      await server().request("DELETE", `/webhooks/${hook.id}`);
      await server().request("DELETE", `/webhooks/${other.id}`);
    });

    test("another project's webhooks are invisible: not listed, 404 to delete or list deliveries, and its changes are not ours", async () => {
      const otherKey = await createOtherProject(server());
      const as = { authorization: `Bearer ${otherKey}` };
      const hook = await addWebhook(server(), receiver.url, ["run.created"]);
      const listed = await server().request("GET", "/webhooks", undefined, as);
      assert.deepEqual(listed.body.data, []);
      assert.equal(
        (await server().request("GET", `/webhooks/${hook.id}/deliveries`, undefined, as)).status,
        404,
      );
      assert.equal(
        (await server().request("DELETE", `/webhooks/${hook.id}`, undefined, as)).status,
        404,
      );
      const foreignRun = await server().request(
        "POST",
        "/runs",
        {
          kind: "agent",
          owner: { kind: "conversation", id: randomUUID() },
          request: { agent_id: "a" },
        },
        as,
      );
      assert.equal(foreignRun.status, 202);
      const ours = await createRun(server());
      await receiver.waitFor((all) => all.some((r) => r.json.data.run_id === ours.run_id));
      const page = await deliveries(server(), hook.id);
      assert.ok(!JSON.stringify(page).includes(foreignRun.body.run.run_id));
      assert.ok(!receiver.received.some((r) => r.json.data.run_id === foreignRun.body.run.run_id));
      await server().request("DELETE", `/webhooks/${hook.id}`);
    });

    test("a run deleted before its delivery went out is still delivered whole (the payload is self-contained)", async () => {
      const holding = await Receiver.start();
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      holding.respond = async () => {
        await released;
        return 200;
      };
      try {
        const hook = await addWebhook(server(), holding.url, ["run.completed"]);
        const run = await createRun(server());
        await server().request("POST", `/runs/${run.run_id}/complete`, { status: "completed" });
        await holding.waitFor((all) => all.length >= 1);
        assert.equal((await server().request("DELETE", `/runs/${run.run_id}`)).status, 204);
        await server().server.sweeper.runOnce();
        assert.equal((await server().request("GET", `/runs/${run.run_id}`)).status, 410);
        release();
        const delivered = await eventually(async () => {
          const page = await deliveries(server(), hook.id);
          return page.data[0]?.status === "delivered" && page.data[0];
        });
        assert.equal(delivered.type, "run.completed");
        assert.equal(holding.received[0]?.json.data.run_id, run.run_id);
        assert.equal(holding.received[0]?.json.data.status, "completed");
        await server().request("DELETE", `/webhooks/${hook.id}`);
      } finally {
        release();
        await holding.close();
      }
    });

    test("a deleted webhook gets nothing more, and the sweeper purges it with its deliveries", async () => {
      const failing = await Receiver.start();
      failing.respond = () => 500;
      try {
        const hook = await addWebhook(server(), failing.url, ["run.created"]);
        await createRun(server());
        await failing.waitFor((all) => all.length >= 1);
        const store = server().server.store;
        assert.equal((await server().request("DELETE", `/webhooks/${hook.id}`)).status, 204);
        const seen = failing.received.length;
        await createRun(server());
        const report = await server().server.sweeper.runOnce();
        assert.ok(report.webhookRowsPurged >= 2, JSON.stringify(report));
        assert.equal(await store.webhooks.getDelivery(failing.received[0]!.id), undefined);
        // Nothing new reached the deleted webhook (an attempt in flight at the delete may land).
        assert.ok(failing.received.length <= seen + 1);
      } finally {
        await failing.close();
      }
    });
  },
  ENV,
);
