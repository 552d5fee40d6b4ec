/** How appends are cut into requests, and how reconnect delays grow. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Backoff } from "../src/backoff.ts";
import { batchBody, serialiseEvents, splitBatches, utf8Length } from "../src/batches.ts";
import { seededRandom } from "./helpers/chaos-proxy.ts";

const json = (n: number, size = 10) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({ type: "CUSTOM", name: `${i}`, value: "x".repeat(size) }),
  );

test("batches hold at most 100 events and keep the order", () => {
  const events = json(250);
  const batches = splitBatches(events);
  assert.deepEqual(
    batches.map((b) => b.events.length),
    [100, 100, 50],
  );
  assert.deepEqual(
    batches.flatMap((b) => b.events),
    events,
  );
  assert.deepEqual(
    splitBatches(events, 40).map((b) => b.events.length),
    [40, 40, 40, 40, 40, 40, 10],
  );
  assert.deepEqual(splitBatches([]), []);
});

test("every batch body stays under the byte cap; an event too big to share goes alone", () => {
  const events = [...json(20, 300), ...json(1, 5000), ...json(5, 300)];
  const cap = 2048;
  const batches = splitBatches(events, 100, cap);
  const cursors = { latestEventId: 123_456_789, latestExternalEventSequence: 123_456_789 };
  for (const batch of batches) {
    const bytes = utf8Length(batchBody(batch, cursors));
    assert.ok(
      bytes <= cap || batch.events.length === 1,
      `${bytes} bytes in ${batch.events.length}`,
    );
  }
  assert.ok(batches.some((b) => b.events.length === 1 && b.events[0]!.length > 5000));
  assert.deepEqual(
    batches.flatMap((b) => b.events),
    events,
  );
});

test("a batch body is the events verbatim with both expected cursors", () => {
  const [batch] = splitBatches(serialiseEvents([{ type: "CUSTOM", name: "a", value: "é" }]));
  const body = JSON.parse(batchBody(batch!, { latestEventId: 7, latestExternalEventSequence: 5 }));
  assert.deepEqual(body, {
    events: [{ type: "CUSTOM", name: "a", value: "é" }],
    expected_previous_event_id: 7,
    expected_previous_external_event_sequence: 5,
  });
});

test("non-object events are refused before anything is sent", () => {
  assert.throws(() => serialiseEvents([null as never]), TypeError);
  assert.throws(() => serialiseEvents([[1] as never]), TypeError);
});

test("utf8Length agrees with Buffer.byteLength, surrogate pairs and lone surrogates included", () => {
  const random = seededRandom(7);
  const alphabet = ["a", "é", "€", "😀", "\ud800", "\udc00", "\n", "中"];
  for (let i = 0; i < 500; i++) {
    const text = Array.from(
      { length: Math.floor(random() * 40) },
      () => alphabet[Math.floor(random() * alphabet.length)],
    ).join("");
    assert.equal(utf8Length(text), Buffer.byteLength(text), JSON.stringify(text));
  }
});

test("backoff windows double up to the cap, with jitter inside, and reset after progress", () => {
  const top = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000 }, () => 0.999_999);
  assert.deepEqual(
    Array.from({ length: 6 }, () => top.next()),
    [99, 199, 399, 799, 999, 999],
  );
  top.reset();
  assert.equal(top.next(), 99);
  const bottom = new Backoff({ initialDelayMs: 100 }, () => 0);
  assert.equal(bottom.next(), 0, "full jitter reaches down to zero");
});
