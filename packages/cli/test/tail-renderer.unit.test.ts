/**
 * `TailRenderer`, the human view of `runline runs tail`: text as continuous text, everything
 * else as one short line, colour only when asked for.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AguiEvent } from "@runline/client";
import { styleFor } from "../src/io.ts";
import { TailRenderer } from "../src/runs/tail-renderer.ts";

function render(events: AguiEvent[], colour = false): string {
  let out = "";
  const renderer = new TailRenderer((text) => {
    out += text;
  }, styleFor(colour));
  events.forEach((event, i) => {
    renderer.render({ event_id: i + 1, event_type: event.type, event });
  });
  renderer.finish();
  return out;
}

test("tail shows reasoning and non-assistant messages labelled, and a message interrupted by another event resumes on its own line", () => {
  const out = render([
    { type: "REASONING_MESSAGE_START", messageId: "r1", role: "reasoning" },
    { type: "REASONING_MESSAGE_CONTENT", messageId: "r1", delta: "let me think" },
    { type: "REASONING_MESSAGE_END", messageId: "r1" },
    { type: "TEXT_MESSAGE_START", messageId: "u1", role: "user" },
    { type: "TEXT_MESSAGE_CONTENT", messageId: "u1", delta: "hi" },
    { type: "TEXT_MESSAGE_END", messageId: "u1" },
    { type: "TEXT_MESSAGE_START", messageId: "m1", role: "assistant" },
    { type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "Hel" },
    { type: "STATE_DELTA", delta: [{ op: "add", path: "/n", value: 1 }] },
    { type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "lo" },
    { type: "TEXT_MESSAGE_CHUNK", messageId: "m2", role: "assistant", delta: "chunked" },
    { type: "TOOL_CALL_RESULT", messageId: "t1", toolCallId: "c1", content: "42" },
  ]);
  assert.equal(
    out,
    [
      "reasoning: let me think",
      "user: hi",
      "Hel",
      '· STATE_DELTA {"delta":[{"op":"add","path":"/n","value":1}]}',
      "lo",
      "chunked",
      "· TOOL_CALL_RESULT c1 42",
      "",
    ].join("\n"),
  );
});

test("tail colours only when asked: dim event lines and reasoning, red RUN_ERROR, plain assistant text", () => {
  const events: AguiEvent[] = [
    { type: "RUN_STARTED", threadId: "t", runId: "r" },
    { type: "REASONING_MESSAGE_START", messageId: "r1", role: "reasoning" },
    { type: "REASONING_MESSAGE_CONTENT", messageId: "r1", delta: "hmm" },
    { type: "TEXT_MESSAGE_START", messageId: "m1", role: "assistant" },
    { type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "Hi" },
    { type: "RUN_ERROR", message: "boom", code: "x" },
  ];
  const plain = render(events);
  assert.ok(!plain.includes("\u001b"), "no escape codes");
  assert.equal(plain, "· RUN_STARTED\nreasoning: hmm\nHi\n✗ RUN_ERROR boom (x)\n");

  const coloured = render(events, true);
  assert.ok(coloured.includes("\u001b[2m· RUN_STARTED\u001b[22m\n"));
  assert.ok(coloured.includes("\u001b[2mhmm\u001b[22m"));
  assert.ok(coloured.includes("\nHi\n"), "assistant text stays plain");
  assert.ok(coloured.includes("\u001b[31m✗ RUN_ERROR boom (x)\u001b[39m\n"));
});
