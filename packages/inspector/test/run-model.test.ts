/**
 * The conversation model and the JSON-patch applier, without a browser. The central property:
 * folding the server's snapshot of a log prefix and then the rest of the log gives the same
 * picture as folding the whole log (what the run page relies on after a reload).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildSnapshot } from "../../server/src/domain/agui/snapshot/builder.ts";
import { applyPatch, type Json, PatchError } from "../src/lib/json-patch.ts";
import { type AguiEvent, type ConversationItem, RunModel } from "../src/lib/run-model.ts";

const LOG: AguiEvent[] = [
  { type: "RUN_STARTED", threadId: "t", runId: "r" },
  { type: "STATE_SNAPSHOT", snapshot: { items: [], n: 0 } },
  { type: "REASONING_START", messageId: "r1" },
  { type: "REASONING_MESSAGE_START", messageId: "r1", role: "reasoning" },
  { type: "REASONING_MESSAGE_CONTENT", messageId: "r1", delta: "think " },
  { type: "REASONING_MESSAGE_CONTENT", messageId: "r1", delta: "hard" },
  { type: "REASONING_MESSAGE_END", messageId: "r1" },
  { type: "REASONING_END", messageId: "r1" },
  { type: "TEXT_MESSAGE_START", messageId: "a1", role: "assistant" },
  { type: "TEXT_MESSAGE_CONTENT", messageId: "a1", delta: "Hello " },
  { type: "TEXT_MESSAGE_CONTENT", messageId: "a1", delta: "there" },
  { type: "TEXT_MESSAGE_END", messageId: "a1" },
  { type: "TOOL_CALL_START", toolCallId: "tc1", toolCallName: "search", parentMessageId: "a1" },
  { type: "TOOL_CALL_ARGS", toolCallId: "tc1", delta: '{"q":' },
  { type: "TOOL_CALL_ARGS", toolCallId: "tc1", delta: '"x"}' },
  { type: "TOOL_CALL_END", toolCallId: "tc1" },
  { type: "TOOL_CALL_RESULT", messageId: "t1", toolCallId: "tc1", content: "ok", role: "tool" },
  { type: "STATE_DELTA", delta: [{ op: "add", path: "/items/-", value: "a" }] },
  { type: "STATE_DELTA", delta: [{ op: "replace", path: "/n", value: 1 }] },
  { type: "TEXT_MESSAGE_START", messageId: "a2", role: "assistant" },
  { type: "TEXT_MESSAGE_CONTENT", messageId: "a2", delta: "streaming " },
  { type: "TEXT_MESSAGE_CONTENT", messageId: "a2", delta: "on " },
  { type: "TOOL_CALL_START", toolCallId: "tc2", toolCallName: "fetch", parentMessageId: "a2" },
  { type: "TOOL_CALL_ARGS", toolCallId: "tc2", delta: '{"url":' },
  { type: "TOOL_CALL_ARGS", toolCallId: "tc2", delta: '"u"}' },
  { type: "TEXT_MESSAGE_CONTENT", messageId: "a2", delta: "and on." },
  { type: "TOOL_CALL_END", toolCallId: "tc2" },
  { type: "TEXT_MESSAGE_END", messageId: "a2" },
  { type: "TEXT_MESSAGE_CHUNK", messageId: "a3", role: "assistant", delta: "chunk " },
  { type: "TEXT_MESSAGE_CHUNK", delta: "lane" },
  { type: "STEP_STARTED", stepName: "wrap-up" },
];

/** What a reader sees: items without keys (a snapshot may key messages differently). */
function picture(model: RunModel) {
  const view = model.view();
  const items = view.items
    .filter((item) => item.kind !== "marker")
    .map((item: ConversationItem) => {
      if (item.kind === "message") {
        return {
          kind: item.kind,
          id: item.id,
          role: item.role,
          content: item.content,
          calls: item.toolCalls.map((c) => ({
            id: c.id,
            name: c.name,
            args: c.args,
            result: c.result?.content,
          })),
        };
      }
      if (item.kind === "reasoning") return { kind: item.kind, id: item.id, content: item.content };
      return item;
    });
  return { items, state: view.state };
}

function foldAll(events: readonly AguiEvent[]): RunModel {
  const model = new RunModel();
  events.forEach((event, i) => {
    model.apply(event, i + 1);
  });
  return model;
}

describe("RunModel", () => {
  test("assembles messages, reasoning, tool calls with results, chunks and state", () => {
    const { items, state } = picture(foldAll(LOG));
    assert.deepEqual(state, { items: ["a"], n: 1 });
    assert.deepEqual(items, [
      { kind: "reasoning", id: "r1", content: "think hard" },
      {
        kind: "message",
        id: "a1",
        role: "assistant",
        content: "Hello there",
        calls: [{ id: "tc1", name: "search", args: '{"q":"x"}', result: "ok" }],
      },
      {
        kind: "message",
        id: "a2",
        role: "assistant",
        content: "streaming on and on.",
        calls: [{ id: "tc2", name: "fetch", args: '{"url":"u"}', result: undefined }],
      },
      { kind: "message", id: "a3", role: "assistant", content: "chunk lane", calls: [] },
    ]);
  });

  test("a snapshot of any prefix, then the rest, ends in the same picture as the whole log", () => {
    const whole = picture(foldAll(LOG));
    const logged = LOG.map((event, i) => ({ event_id: i + 1, event_type: event.type, event }));
    for (let cut = 0; cut <= LOG.length; cut += 1) {
      const snapshot = buildSnapshot(logged.slice(0, cut));
      const model = new RunModel();
      for (const entry of snapshot.events) model.apply(entry.event, entry.event_id);
      for (const entry of logged.slice(snapshot.after_event_id)) {
        model.apply(entry.event, entry.event_id);
      }
      assert.deepEqual(picture(model), whole, `cut after event ${cut}`);
    }
  });

  test("remembers the latest state change and skips a patch that does not apply", () => {
    const model = foldAll(LOG.slice(0, 2));
    model.apply({ type: "STATE_DELTA", delta: [{ op: "replace", path: "/n", value: 5 }] }, 3);
    assert.deepEqual(model.view().latestChange?.operations, [
      { op: "replace", path: "/n", value: 5 },
    ]);
    model.apply(
      {
        type: "STATE_DELTA",
        delta: [
          { op: "replace", path: "/n", value: 6 },
          { op: "remove", path: "/missing" },
        ],
      },
      4,
    );
    assert.deepEqual(model.view().state, { items: [], n: 5 });
    assert.match(model.view().latestChange?.error ?? "", /missing/);
  });

  test("a snapshot's synthesised STATE_SNAPSHOT is the folded state, not a change", () => {
    const model = new RunModel();
    model.apply({ type: "STATE_SNAPSHOT", snapshot: { n: 2 } }, null);
    assert.deepEqual(model.view().state, { n: 2 });
    assert.equal(model.view().latestChange, undefined);
  });

  test("ends: closes what is open and marks the error", () => {
    const model = foldAll(LOG.slice(0, 10));
    model.apply({ type: "RUN_ERROR", message: "Run cancelled", code: "cancelled" }, 11);
    const view = model.view();
    assert.deepEqual(view.terminal, {
      type: "RUN_ERROR",
      message: "Run cancelled",
      code: "cancelled",
    });
    const message = view.items.find((i) => i.kind === "message");
    assert.equal(message?.kind === "message" && message.open, false);
    assert.equal(view.items.at(-1)?.kind, "marker");
  });

  test("the view object stays the same until something it shows changes", () => {
    const model = foldAll(LOG.slice(0, 3));
    const before = model.view();
    model.apply({ type: "CUSTOM", name: "noise", value: 1 }, 4);
    assert.equal(model.view(), before);
  });
});

describe("applyPatch", () => {
  test("applies RFC 6902 operations without mutating the input, keeping untouched subtrees", () => {
    const doc: Json = { a: { b: [1, 2] }, keep: { deep: true } };
    const frozen = structuredClone(doc);
    const next = applyPatch(doc, [
      { op: "add", path: "/a/b/1", value: 9 },
      { op: "add", path: "/a/b/-", value: 3 },
      { op: "copy", from: "/a/b/0", path: "/c" },
      { op: "move", from: "/c", path: "/d" },
      { op: "test", path: "/d", value: 1 },
      { op: "remove", path: "/a/b/0" },
    ]);
    assert.deepEqual(doc, frozen);
    assert.deepEqual(next, { a: { b: [9, 2, 3] }, keep: { deep: true }, d: 1 });
    assert.equal((next as { keep: unknown }).keep, (doc as { keep: unknown }).keep);
  });

  test("a failing operation rejects the whole patch", () => {
    assert.throws(
      () =>
        applyPatch({ a: 1 }, [
          { op: "replace", path: "/a", value: 2 },
          { op: "test", path: "/a", value: 3 },
        ]),
      PatchError,
    );
    assert.throws(() => applyPatch({ a: [] }, [{ op: "add", path: "/a/5", value: 1 }]), PatchError);
    assert.throws(() => applyPatch({}, [{ op: "replace", path: "/nope", value: 1 }]), PatchError);
    assert.deepEqual(
      applyPatch({ "x/y": 1, "t~": 2 }, [
        { op: "remove", path: "/x~1y" },
        { op: "replace", path: "/t~0", value: 3 },
      ]),
      { "t~": 3 },
    );
    assert.deepEqual(applyPatch({ a: 1 }, [{ op: "replace", path: "", value: [1] }]), [1]);
  });
});
