/**
 * Scenario 10: conversation streams (contract §8).
 *
 * a. Every append also numbers its events in the conversation's frame counter (one row per
 *    conversation, locked until the append commits). 10 runs appending concurrently into ONE
 *    conversation (10 connections, 1-event appends) against the same load into 10 conversations:
 *    the ratio says how much the shared counter serialises. Rounds alternate; medians count.
 * b. A follower of a conversation into which 100 runs append (100 connections, closed loop:
 *    the server is saturated) receives a paced tick appended to one more run of it: the
 *    append→delivery latency of the conversation stream, under that load, against the same
 *    follower and ticks with nothing else appending.
 */
import { RunlineApi } from "../lib/api.ts";
import {
  assertClean,
  type Bench,
  type LoadOutcome,
  medianRound,
  type RunlineHandle,
  roundsNote,
} from "../lib/harness.ts";
import { authHeaders, newConversationId, TICK_EVENT_TEMPLATE, textDelta } from "../lib/payloads.ts";
import { appendRequest } from "./append.ts";
import { measureFanout } from "./live.ts";

export async function conversationScenario(b: Bench, server: RunlineHandle): Promise<void> {
  const api = new RunlineApi(server.port);
  const port = server.port;
  const store = server.store;
  const synchronous = server.synchronous;

  // ── a. one conversation vs ten ──
  const shared = await api.createStreamingRuns("s10-one", 10, 10, newConversationId());
  const separate = await api.createStreamingRuns("s10-ten", 10, 10);
  const round = {
    warmupMs: b.settings.rounds > 1 ? Math.min(b.settings.warmupMs, 1_000) : b.settings.warmupMs,
    durationMs: b.settings.durationMs / b.settings.rounds,
  };
  const oneRounds: LoadOutcome[] = [];
  const tenRounds: LoadOutcome[] = [];
  for (let i = 0; i < b.settings.rounds; i++) {
    const ten = await b.closedLoop(
      {
        port,
        targets: separate.map((r) => appendRequest(r, [textDelta()])),
        connections: 10,
        ...round,
      },
      1,
      server,
    );
    assertClean("10 runs in 10 conversations", ten);
    tenRounds.push(ten);
    const one = await b.closedLoop(
      {
        port,
        targets: shared.map((r) => appendRequest(r, [textDelta()])),
        connections: 10,
        ...round,
      },
      1,
      server,
    );
    assertClean("10 runs in one conversation", one);
    oneRounds.push(one);
  }
  const one = medianRound(oneRounds);
  const ten = medianRound(tenRounds);
  const ratio = one.perSecond / ten.perSecond;
  b.add({
    scenario: "10a 10 runs appending 1-event batches: one conversation vs 10",
    name: "appends/s, one conversation",
    store,
    synchronous,
    unit: "req/s",
    value: one.perSecond,
    baseline: {
      name: "the same 10 runs' load, each run in its own conversation",
      value: ten.perSecond,
    },
    better: "higher",
    goal: { text: "≥ 0.7 of baseline", met: ratio >= 0.7 },
    note: [
      `ratio ${ratio.toFixed(2)}`,
      `p99 ${one.latency.p99.toFixed(1)} ms vs ${ten.latency.p99.toFixed(1)} ms`,
      roundsNote("req/s one", oneRounds),
      roundsNote("req/s ten", tenRounds),
    ]
      .filter((n) => n !== "")
      .join("; "),
  });

  // ── b. delivery to a conversation follower while 100 runs append into it ──
  // Baseline: a follower of another conversation, the same ticks, nothing else appending. (Two
  // conversations: a follower replays from frame 1, and must not count the other's ticks.)
  const idleCid = newConversationId();
  await api.createStreamingRun("s10-idle-tick", idleCid);
  const idle = await measureFanout(
    b,
    port,
    `/conversations/${idleCid}/stream`,
    { path: "/runs/s10-idle-tick/events", headers: authHeaders, body: TICK_BODY },
    1,
  );
  const cid = newConversationId();
  const busy = await api.createStreamingRuns("s10-busy", 100, 16, cid);
  const tickRun = "s10-tick";
  await api.createStreamingRun(tickRun, cid);
  const tick = { path: `/runs/${tickRun}/events`, headers: authHeaders, body: TICK_BODY };
  const streamPath = `/conversations/${cid}/stream`;
  const pacedMs = (b.settings.fanoutEvents / b.settings.fanoutRate) * 1000;
  const background = b.closedLoop({
    port,
    targets: busy.map((r) => appendRequest(r, [textDelta()])),
    connections: 100,
    warmupMs: 0,
    // Covers the streams opening, the paced ticks and the collection after them.
    durationMs: pacedMs + 3_000,
  });
  const delivered = await measureFanout(b, port, streamPath, tick, 1);
  const load = await background;
  assertClean("100 runs appending into one conversation", load);
  const lost = delivered.expected - delivered.delivered;
  b.add({
    scenario: "10b conversation follower, 100 runs appending into the conversation (closed loop)",
    name: "append→delivery p99",
    store,
    synchronous,
    unit: "ms",
    value: delivered.p99,
    baseline: {
      name: "a follower of a conversation where nothing else appends, same ticks",
      value: idle.p99,
    },
    better: "lower",
    note: [
      `p50 ${delivered.p50.toFixed(1)} ms`,
      `${delivered.delivered}/${delivered.expected} ticks delivered${lost > 0 ? ` (${lost} missing)` : ""}`,
      `background: ${Math.round(load.perSecond)} appends/s into the conversation, p99 ${load.latency.p99.toFixed(1)} ms`,
      `the tick's own append p99 ${delivered.producerP99.toFixed(1)} ms`,
    ].join("; "),
  });
}

const TICK_BODY = `{"events":[${TICK_EVENT_TEMPLATE}]}`;
