/**
 * The outbox (docs/api.md §10): a delivery row exists iff the change it reports committed — it is
 * written inside the changing transaction, so a transaction that rolls back leaves none — and
 * the SSRF rule: refused targets at creation, and again at delivery time.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { newWebhookId } from "../../src/domain/ids.ts";
import { newWebhookSecret } from "../../src/webhooks/signature.ts";
import { bootstrapProjectId } from "../auth/fixtures.ts";
import { createRun, describeEachStore, type TestServer } from "../helpers/server.ts";
import { deliveries } from "./fixtures.ts";
import { eventually, Receiver } from "./receiver.ts";

async function deliveriesOf(server: TestServer, webhookId: string) {
  return (await deliveries(server, webhookId, "?limit=100")).data;
}

describeEachStore(
  "webhook outbox rows commit with their change",
  (server) => {
    let receiver: Receiver;
    before(async () => {
      receiver = await Receiver.start();
    });
    after(async () => {
      await receiver.close();
    });

    test("a transaction that rolls back after the outbox writer ran leaves no delivery; a committed one leaves exactly one", async () => {
      const created = await server().request("POST", "/webhooks", {
        url: receiver.url,
        events: ["run.created"],
      });
      assert.equal(created.status, 201);
      const doomed = `doomed-${Date.now()}`;
      // A later writer fails for one run: its whole transaction rolls back, outbox row included.
      const remove = server().server.store.changes.addWriter(async (_tx, changes) => {
        if (changes.some((c) => "run" in c && c.run.run_id === doomed)) {
          throw new Error("injected failure after the outbox writer");
        }
      });
      try {
        const failed = await server().request("POST", "/runs", {
          kind: "agent",
          owner: { kind: "conversation", id: crypto.randomUUID() },
          request: { agent_id: "a" },
          public_id: doomed,
        });
        assert.equal(failed.status, 500);
      } finally {
        remove();
      }
      assert.equal((await server().request("GET", `/runs/${doomed}`)).status, 404);
      const kept = await createRun(server());
      await receiver.waitFor((all) => all.some((r) => r.json.data.run_id === kept.run_id));
      const rows = await deliveriesOf(server(), created.body.id);
      assert.equal(rows.length, 1, "only the committed change has a delivery");
      assert.ok(!receiver.received.some((r) => r.json.data.run_id === doomed));
      assert.equal(receiver.received.filter((r) => r.json.data.run_id === kept.run_id).length, 1);
      await server().request("DELETE", `/webhooks/${created.body.id}`);
    });
  },
  { RUNLINE_WEBHOOKS_ALLOW_PRIVATE: "true", RUNLINE_WEBHOOK_POLL_MS: "50" },
);

describeEachStore(
  "webhook targets: loopback, private, link-local and metadata addresses are refused",
  (server) => {
    test("POST /webhooks refuses internal hosts, literal or resolved, with 400 invalid_webhook_url", async () => {
      const refused = [
        "http://127.0.0.1/hook",
        "http://127.1.2.3:8080/hook",
        "http://localhost:9/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0x7f.1/hook",
        "http://2130706433/hook",
        "http://0.0.0.0/hook",
        "http://10.0.0.8/hook",
        "http://172.16.3.4/hook",
        "http://192.168.1.1/hook",
        "http://100.64.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest",
        "http://[fe80::1]/hook",
        "http://224.0.0.1/hook",
        "http://nothing-here.invalid/hook",
      ];
      for (const url of refused) {
        const response = await server().request("POST", "/webhooks", {
          url,
          events: ["run.created"],
        });
        assert.equal(response.status, 400, `${url}: ${response.text}`);
        assert.equal(response.body.code, "invalid_webhook_url", url);
      }
      const listed = await server().request("GET", "/webhooks");
      assert.deepEqual(listed.body.data, []);
      // A public address is fine (nothing is sent to it here: no change is subscribed to).
      const ok = await server().request("POST", "/webhooks", {
        url: "https://203.0.113.10/hook",
        events: ["interrupt.opened"],
      });
      assert.equal(ok.status, 201, ok.text);
      await server().request("DELETE", `/webhooks/${ok.body.id}`);
    });

    test("delivery re-checks the target: a webhook whose host is (now) internal is never called, the attempt fails", async () => {
      const receiver = await Receiver.start();
      try {
        const projectId = await bootstrapProjectId(server());
        // Written straight to the store: as if the name resolved elsewhere when it was created.
        const ids: string[] = [];
        for (const url of [receiver.url, `http://localhost:${receiver.port}/hook`]) {
          const id = newWebhookId();
          ids.push(id);
          await server().server.store.transaction((tx) =>
            tx.webhooks.insertWebhook({
              id,
              project_id: projectId,
              url,
              events: ["run.created"],
              description: null,
              secret: newWebhookSecret(),
              created_at: new Date().toISOString(),
            }),
          );
        }
        await createRun(server());
        for (const id of ids) {
          const failed = await eventually(async () => {
            const rows = await deliveriesOf(server(), id);
            return rows[0]?.status === "failed" && rows[0];
          });
          assert.equal(failed.last_status_code, null);
          assert.match(String(failed.last_error), /internal/);
        }
        assert.equal(receiver.received.length, 0, "the internal receiver was never called");
        for (const id of ids) await server().request("DELETE", `/webhooks/${id}`);
      } finally {
        await receiver.close();
      }
    });
  },
  { RUNLINE_WEBHOOK_RETRY_SCHEDULE: "10ms", RUNLINE_WEBHOOK_POLL_MS: "50" },
);
