/**
 * `conversation(cid).follow()` and run creation with a multitask strategy against a real server,
 * on both stores: every run's frames over one connection in conversation order (runs created
 * later included), exactly once through a proxy that cuts the stream at random, resuming after
 * any frame with `after`, and the strategies' answers as the client surfaces them.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { describeEachStore, type TestServer } from "../../server/test/helpers/server.ts";
import {
  type ConversationFrame,
  type FollowConversationOptions,
  RunlineClient,
  RunlineError,
} from "../src/index.ts";
import { seededRandom, startChaosProxy } from "./helpers/chaos-proxy.ts";
import { custom, textMessage } from "./helpers/setup.ts";

const FAST_RECONNECT = { initialDelayMs: 2, maxDelayMs: 25 };

const clientOf = (server: TestServer, baseUrl = server.url, fetchFn?: typeof fetch) =>
  new RunlineClient({ baseUrl, apiKey: server.key, ...(fetchFn && { fetch: fetchFn }) });

async function createRun(
  client: RunlineClient,
  conversationId: string,
  extra: {
    parent_run_id?: string;
    multitask_strategy?: "allow" | "reject" | "enqueue" | "interrupt";
  } = {},
) {
  const { run } = await client.createRun({
    kind: "agent",
    owner: { kind: "conversation", id: conversationId },
    request: { agent_id: "agent-1", initial_status: "running" },
    ...extra,
  });
  return run;
}

/** Frames of a follow until `done(frames)` holds; then the follow is stopped. */
async function followUntil(
  client: RunlineClient,
  conversationId: string,
  done: (frames: ConversationFrame[]) => boolean,
  options: FollowConversationOptions = {},
): Promise<ConversationFrame[]> {
  const frames: ConversationFrame[] = [];
  if (done(frames)) return frames;
  for await (const frame of client.conversation(conversationId).follow(options)) {
    frames.push(frame);
    if (done(frames)) break;
  }
  return frames;
}

/** Whether every one of `runIds` has a terminal run.status frame among `frames`. */
const allEnded = (runIds: string[]) => (frames: ConversationFrame[]) =>
  runIds.every((id) =>
    frames.some((f) => f.type === "run.status" && f.run_id === id && f.run.status === "completed"),
  );

/** The run's events as the conversation stream carried them. */
const eventsOf = (frames: ConversationFrame[], runId: string) =>
  frames.flatMap((f) => (f.type === "event" && f.run_id === runId ? [f] : []));

describeEachStore("conversation follow (client)", (server) => {
  test("one connection carries every run of the conversation — runs created while following included — in strictly increasing frame ids, run.created before each run's first event", async () => {
    let streams = 0;
    const counting: typeof fetch = (input, init) => {
      if (String(input).includes("/stream")) streams += 1;
      return fetch(input, init);
    };
    const client = clientOf(server());
    const conversationId = randomUUID();
    const first = await createRun(client, conversationId);
    const ids: string[] = [first.run_id];
    const frames = followUntil(clientOf(server(), server().url, counting), conversationId, (fs) =>
      allEnded(ids)(fs),
    );

    await client.run(conversationId, first.run_id).append(textMessage("m1", "Hel", "lo"));
    const second = await createRun(client, conversationId, { parent_run_id: first.run_id });
    ids.push(second.run_id);
    await client.run(conversationId, second.run_id).append([custom("child-step")]);
    await client.run(conversationId, first.run_id).append([custom("parent-step")]);
    await client.run(conversationId, second.run_id).complete({ status: "completed" });
    await client.run(conversationId, first.run_id).complete({ status: "completed" });

    const seen = await frames;
    assert.equal(streams, 1, "one stream connection for the whole conversation");
    const frameIds = seen.map((f) => f.id);
    assert.ok(
      frameIds.every((id, i) => i === 0 || id > frameIds[i - 1]!),
      `ids strictly increasing: ${frameIds}`,
    );
    for (const runId of ids) {
      const created = seen.findIndex((f) => f.type === "run.created" && f.run_id === runId);
      const firstEvent = seen.findIndex((f) => f.type === "event" && f.run_id === runId);
      assert.ok(created >= 0 && created < firstEvent, `run.created of ${runId} before its events`);
      const log = [];
      for await (const e of client.run(conversationId, runId).allEvents()) log.push(e);
      assert.deepEqual(
        eventsOf(seen, runId).map((f) => [f.event_id, f.event_type, f.event]),
        log.map((e) => [e.event_id, e.event_type, e.event]),
        `every event of ${runId}, once, in its log order`,
      );
    }
    const child = seen.find((f) => f.type === "run.created" && f.run_id === second.run_id);
    assert.equal(child?.type === "run.created" && child.run.parent_run_id, first.run_id);
  });

  test("through a proxy cutting the stream at random while three runs append, every frame arrives exactly once and in order; follow({ after }) resumes after exactly that frame", {
    timeout: 120_000,
  }, async () => {
    const client = clientOf(server());
    const conversationId = randomUUID();
    const runs = [
      await createRun(client, conversationId),
      await createRun(client, conversationId),
      await createRun(client, conversationId),
    ];
    const random = seededRandom(18_2026);
    let planned = 0;
    const proxy = await startChaosProxy(server().url, (line) => {
      if (!line.startsWith("GET ") || !line.includes("/stream") || planned >= 30) return;
      planned += 1;
      return { cutResponseAfterBytes: 1 + Math.floor(random() * 12_000) };
    });
    try {
      const ids = runs.map((r) => r.run_id);
      const throughProxy = followUntil(
        clientOf(server(), proxy.url),
        conversationId,
        allEnded(ids),
        {
          reconnect: FAST_RECONNECT,
        },
      );
      // The three producers interleave: each appends 20 batches of a message.
      await Promise.all(
        runs.map(async (run, k) => {
          const producer = client.run(conversationId, run.run_id);
          for (let i = 0; i < 20; i++) {
            const deltas = Array.from({ length: 8 }, (_, d) => `r${k}-m${i}-d${d} `);
            await producer.append(textMessage(`r${k}-m${i}`, ...deltas));
          }
          await producer.complete({ status: "completed" });
        }),
      );
      const cut = await throughProxy;
      const direct = await followUntil(client, conversationId, allEnded(ids));
      assert.ok(proxy.cuts >= 5, `only ${proxy.cuts} cuts happened`);
      assert.deepEqual(
        cut.map((f) => f.id),
        direct.map((f) => f.id),
        "every frame id once, in order",
      );
      assert.deepEqual(cut, direct);
      for (const run of runs) {
        const log = [];
        for await (const e of client.run(conversationId, run.run_id).allEvents()) log.push(e);
        assert.deepEqual(
          eventsOf(direct, run.run_id).map((f) => f.event_id),
          log.map((e) => e.event_id),
        );
      }

      for (const k of [0, 1, 17, Math.floor(direct.length / 2), direct.length - 2]) {
        const after = direct[k]!.id;
        const rest = direct.slice(k + 1);
        const resumed = await followUntil(
          client,
          conversationId,
          (fs) => fs.length === rest.length,
          {
            after,
          },
        );
        assert.deepEqual(resumed, rest, `after frame ${after}`);
      }
    } finally {
      await proxy.close();
    }
  });

  test("a key the server refuses is a typed 401 at once, not an endless reconnect", async () => {
    const client = new RunlineClient({
      baseUrl: server().url,
      apiKey: "vf_nope_0123456789abcdef0123",
    });
    await assert.rejects(
      followUntil(client, randomUUID(), () => false, { reconnect: FAST_RECONNECT }),
      (e) => e instanceof RunlineError && e.status === 401,
    );
  });

  test("createRun passes multitask_strategy: reject answers conversation_busy naming the active run, enqueue creates the run queued behind it", async () => {
    const client = clientOf(server());
    const conversationId = randomUUID();
    const active = await createRun(client, conversationId);
    await assert.rejects(
      createRun(client, conversationId, { multitask_strategy: "reject" }),
      (e) =>
        e instanceof RunlineError &&
        e.status === 409 &&
        e.code === "conversation_busy" &&
        JSON.stringify(e.problem.active_run_ids) === JSON.stringify([active.run_id]),
    );
    const { run: queued } = await client.createRun({
      kind: "agent",
      owner: { kind: "conversation", id: conversationId },
      request: { agent_id: "agent-1" },
      multitask_strategy: "enqueue",
    });
    assert.equal(queued.status, "pending");
    assert.equal(queued.queued_behind, active.run_id);
  });
});
