/**
 * A producer as docs/api.md §4.3 expects one to behave, keeping a ledger of everything the
 * server acknowledged so a test can later prove none of it was lost, duplicated or reordered.
 *
 * Each producer works through its own runs: create (idempotent `public_id`), append batches
 * with optimistic cursors, sometimes park on a tool call and deliver its result, then complete
 * or cancel. Every event it appends carries a unique tag (`rl`, an extra field the server keeps
 * verbatim) and every tool result a tagged content, so the log can be matched item by item.
 *
 * The retry rule: when an answer is lost (connection refused/reset, or 503), the same request
 * is sent again, unchanged — for an append, the same batch with the same expectation — until
 * the server answers. A 200 that says `duplicate` or appends only part of the batch is fine;
 * any other answer is a violation.
 */
import { randomUUID } from "node:crypto";
import { type Api, type ApiResponse, brief, isContractUnavailable, TransportError } from "./api.ts";
import type { Gate } from "./gate.ts";
import type { Rng } from "./scale.ts";

export type RunStatus =
  | "pending"
  | "running"
  | "waiting_for_tool"
  | "completed"
  | "failed"
  | "cancelled";

/** What a run's log must contain, in order: tagged appended events and tool results. */
export type Item =
  | { kind: "event"; tag: string; event: Record<string, unknown> }
  | { kind: "tool-result"; toolCallId: string; content: string };

/** The producer's knowledge of one run. */
export interface TrackedRun {
  runId: string;
  conversationId: string;
  /** The acknowledged status ("absent" until the create was acknowledged). */
  status: RunStatus | "absent";
  /** Every acknowledged item, in order. */
  items: Item[];
  /** The operation sent whose answer is not known yet: it may or may not have committed. */
  pending: { label: string; items: Item[]; statusAfter: RunStatus } | undefined;
  latestEventId: number;
  latestSeq: number;
  openMessage: string | undefined;
}

export interface LoadStats {
  requests: number;
  acks: number;
  ackedEvents: number;
  /** Requests whose answer was lost (connection refused, reset, closed). */
  transportErrors: number;
  /** 503 answers (retried). */
  unavailable: number;
  /** 503 answers that were not the contract's (problem JSON `unavailable` + Retry-After). */
  unavailableOffContract: string[];
  /** Any other 5xx (never acceptable), with the first few answers. */
  serverErrors: number;
  serverErrorSamples: string[];
  /** Operations resent after a lost answer, by how the retry was answered. */
  retried: { duplicate: number; partial: number; fresh: number };
  violations: string[];
}

export function newStats(): LoadStats {
  return {
    requests: 0,
    acks: 0,
    ackedEvents: 0,
    transportErrors: 0,
    unavailable: 0,
    unavailableOffContract: [],
    serverErrors: 0,
    serverErrorSamples: [],
    retried: { duplicate: 0, partial: 0, fresh: 0 },
    violations: [],
  };
}

export interface ProducerDeps {
  /** The API of the server currently running (it changes across restarts). */
  api: () => Api;
  gate: Gate;
  rng: Rng;
  stats: LoadStats;
  /** Called after every acknowledged operation (fault triggers count these). */
  onAck?: () => void;
  /** Called right after every request is sent. */
  onSend?: () => void;
  /** Called on every 503, before the request is resent (a fault test may close the gate). */
  onUnavailable?: () => void;
  /**
   * Fault tests: a 5xx other than 503 is recorded (it fails the test) but then handled like a
   * 503 — the outcome is unknown, the request is resent — so the scenario can go on and show
   * whether the server heals and kept its data. Otherwise the producer stops at once.
   */
  retryServerErrors?: boolean;
  /** Which cursors the producer sends. */
  cursors: "seq" | "id" | "both";
  /** Appended batches per run, inclusive range. */
  batchesPerRun: [number, number];
  /** Extra padding per CUSTOM event, in characters (to fill a disk quicker). */
  padding?: number;
}

class Violation extends Error {}

/** Consecutive lost answers tolerated while the gate is open (a server that never recovers). */
const MAX_RETRIES_WHILE_OPEN = 2000;

type Json = Record<string, unknown>;

export class Producer {
  readonly runs: TrackedRun[] = [];
  private counter = 0;
  private runCounter = 0;

  constructor(
    readonly name: string,
    private readonly deps: ProducerDeps,
  ) {}

  /** Works until `stop()` says so (checked between operations, never mid-retry). */
  async work(stop: () => boolean): Promise<void> {
    const { gate, stats } = this.deps;
    gate.join();
    try {
      while (!stop()) await this.oneRun(stop);
    } catch (error) {
      if (!(error instanceof Violation)) {
        stats.violations.push(`${this.name}: ${error instanceof Error ? error.stack : error}`);
      }
    } finally {
      gate.leave();
    }
  }

  private async oneRun(stop: () => boolean): Promise<void> {
    const { rng } = this.deps;
    const run: TrackedRun = {
      runId: `${this.name}-${++this.runCounter}-${randomUUID().slice(0, 8)}`,
      conversationId: randomUUID(),
      status: "absent",
      items: [],
      pending: undefined,
      latestEventId: 0,
      latestSeq: 0,
      openMessage: undefined,
    };
    this.runs.push(run);
    await this.create(run, rng.chance(0.2));
    const batches = rng.int(...this.deps.batchesPerRun);
    for (let i = 0; i < batches && !stop(); i++) {
      if (rng.chance(0.12)) await this.waitAndAnswer(run);
      else await this.append(run);
    }
    if (rng.chance(0.7)) await this.complete(run);
    else await this.cancel(run);
  }

  // ── operations ────────────────────────────────────────────────────────────────────────────

  private async create(run: TrackedRun, running: boolean): Promise<void> {
    const statusAfter: RunStatus = running ? "running" : "pending";
    run.pending = { label: "create", items: [], statusAfter };
    const { response, attempts } = await this.deliver(run, "POST", "/runs", {
      kind: "agent",
      owner: { kind: "conversation", id: run.conversationId },
      public_id: run.runId,
      request: { agent_id: "reliability", ...(running && { initial_status: "running" }) },
    });
    const body = response.body as { duplicate?: boolean; run?: { status?: string } };
    this.expect(run, response.status === 202, `create answered ${brief(response)}`);
    this.expect(
      run,
      attempts > 0 || body.duplicate === false,
      `a first create answered duplicate: ${brief(response)}`,
    );
    run.status = statusAfter;
    if (running) run.latestEventId = 1; // the server's RUN_STARTED
    this.acknowledged(run, 0);
  }

  private async append(run: TrackedRun): Promise<void> {
    const batch = this.batch(run);
    const items: Item[] = batch.map((event) => ({
      kind: "event",
      tag: event.rl as string,
      event,
    }));
    const { cursors } = this.deps;
    const body: Json = { events: batch };
    if (cursors !== "id") body.expected_previous_external_event_sequence = run.latestSeq;
    if (cursors !== "seq") body.expected_previous_event_id = run.latestEventId;
    run.pending = { label: "append", items, statusAfter: "running" };
    const { response, attempts } = await this.deliver(
      run,
      "POST",
      `/conversations/${run.conversationId}/runs/${run.runId}/events`,
      body,
    );
    const reply = response.body as {
      latest_event_id: number;
      latest_external_event_sequence: number;
      appended_count: number;
      duplicate: boolean;
    };
    this.expect(run, response.status === 200, `append answered ${brief(response)}`);
    this.expect(
      run,
      reply.latest_external_event_sequence === run.latestSeq + batch.length,
      `append of ${batch.length} after seq ${run.latestSeq} left seq ${reply.latest_external_event_sequence}`,
    );
    this.expect(
      run,
      reply.duplicate === (reply.appended_count === 0) &&
        reply.appended_count >= 0 &&
        reply.appended_count <= batch.length,
      `append answered appended_count ${reply.appended_count}, duplicate ${reply.duplicate}`,
    );
    if (attempts === 0) {
      this.expect(
        run,
        reply.appended_count === batch.length,
        `a first attempt appended ${reply.appended_count} of ${batch.length}`,
      );
    } else {
      const retried = this.deps.stats.retried;
      if (reply.appended_count === 0) retried.duplicate++;
      else if (reply.appended_count < batch.length) retried.partial++;
      else retried.fresh++;
    }
    run.status = "running";
    run.latestEventId = reply.latest_event_id;
    run.latestSeq = reply.latest_external_event_sequence;
    this.acknowledged(run, batch.length);
  }

  private async waitAndAnswer(run: TrackedRun): Promise<void> {
    const toolCallId = `${this.name}.tc${++this.counter}`;
    run.pending = { label: "wait", items: [], statusAfter: "waiting_for_tool" };
    const waited = await this.deliver(
      run,
      "POST",
      `/conversations/${run.conversationId}/runs/${run.runId}/wait`,
      { tool_call_id: toolCallId, tool_name: "lookup" },
    );
    const waitBody = waited.response.body as {
      run?: { status?: string; latest_event_id?: number };
    };
    this.expect(
      run,
      waited.response.status === 200 && waitBody.run?.status === "waiting_for_tool",
      `wait answered ${brief(waited.response)}`,
    );
    run.status = "waiting_for_tool";
    run.latestEventId = waitBody.run?.latest_event_id ?? run.latestEventId;
    this.acknowledged(run, 0);

    const result = { ok: true, rl: toolCallId };
    const content = JSON.stringify(result); // keys already sorted: the server's canonical form
    run.pending = {
      label: "tool-result",
      items: [{ kind: "tool-result", toolCallId, content }],
      statusAfter: "running",
    };
    const answered = await this.deliver(
      run,
      "POST",
      `/conversations/${run.conversationId}/runs/${run.runId}/tool-result`,
      { toolCallId, result },
    );
    const answerBody = answered.response.body as { accepted?: boolean; duplicate?: boolean };
    this.expect(
      run,
      answered.response.status === 200 && answerBody.accepted === true,
      `tool-result answered ${brief(answered.response)}`,
    );
    this.expect(
      run,
      answered.attempts > 0 || answerBody.duplicate === false,
      `a first tool result answered duplicate: ${brief(answered.response)}`,
    );
    run.status = "running";
    run.latestEventId += 1; // one TOOL_CALL_RESULT, written once whatever the retries
    this.acknowledged(run, 0);
  }

  private async complete(run: TrackedRun): Promise<void> {
    run.pending = { label: "complete", items: [], statusAfter: "completed" };
    const { response, attempts } = await this.deliver(run, "POST", `/runs/${run.runId}/complete`, {
      status: "completed",
      metadata: { by: this.name },
    });
    const body = response.body as { completed?: boolean; run?: { status?: string } };
    this.expect(
      run,
      response.status === 200 && body.run?.status === "completed",
      `complete answered ${brief(response)}`,
    );
    this.expect(
      run,
      attempts > 0 || body.completed === true,
      `a first complete said ${brief(response)}`,
    );
    run.status = "completed";
    this.acknowledged(run, 0);
  }

  private async cancel(run: TrackedRun): Promise<void> {
    run.pending = { label: "cancel", items: [], statusAfter: "cancelled" };
    const { response, attempts } = await this.deliver(run, "POST", `/runs/${run.runId}/cancel`, {});
    const body = response.body as { cancelled?: boolean; run?: { status?: string } };
    this.expect(
      run,
      response.status === 200 && body.run?.status === "cancelled",
      `cancel answered ${brief(response)}`,
    );
    this.expect(
      run,
      attempts > 0 || body.cancelled === true,
      `a first cancel said ${brief(response)}`,
    );
    run.status = "cancelled";
    this.acknowledged(run, 0);
  }

  // ── plumbing ──────────────────────────────────────────────────────────────────────────────

  /** Sends until the server answers something other than 503; lost answers are resent. */
  private async deliver(
    run: TrackedRun,
    method: string,
    path: string,
    body: unknown,
  ): Promise<{ response: ApiResponse; attempts: number }> {
    const { gate, stats } = this.deps;
    let attempts = 0;
    let openFailures = 0;
    for (;;) {
      await gate.pass();
      const wasOpen = gate.opened;
      let response: ApiResponse;
      try {
        stats.requests++;
        const sent = this.deps.api().request(method, path, body);
        this.deps.onSend?.();
        response = await sent;
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        stats.transportErrors++;
        attempts++;
        if (wasOpen && gate.opened && ++openFailures > MAX_RETRIES_WHILE_OPEN) {
          this.fail(run, `the server stayed unreachable: ${error.message}`);
        }
        continue;
      }
      if (response.status === 503) {
        stats.unavailable++;
        if (!isContractUnavailable(response) && stats.unavailableOffContract.length < 20) {
          stats.unavailableOffContract.push(
            `${method} ${path}: ${brief(response)} (content-type ${response.headers.get("content-type")}, retry-after ${response.headers.get("retry-after")})`,
          );
        }
        attempts++;
        this.deps.onUnavailable?.();
        if (gate.opened && ++openFailures > MAX_RETRIES_WHILE_OPEN) {
          this.fail(run, `the server kept answering 503: ${brief(response)}`);
        }
        continue;
      }
      if (response.status >= 500) {
        stats.serverErrors++;
        const sample = `${method} ${path} answered ${brief(response)}`;
        if (!this.deps.retryServerErrors) this.fail(run, sample);
        if (stats.serverErrorSamples.length < 10) stats.serverErrorSamples.push(sample);
        attempts++;
        this.deps.onUnavailable?.();
        if (gate.opened && ++openFailures > MAX_RETRIES_WHILE_OPEN) {
          this.fail(run, `the server kept answering ${response.status}: ${brief(response)}`);
        }
        continue;
      }
      return { response, attempts };
    }
  }

  private acknowledged(run: TrackedRun, events: number): void {
    const pending = run.pending;
    if (pending) run.items.push(...pending.items);
    run.pending = undefined;
    this.deps.stats.acks++;
    this.deps.stats.ackedEvents += events;
    this.deps.onAck?.();
  }

  private expect(run: TrackedRun, condition: boolean, message: string): void {
    if (!condition) this.fail(run, message);
  }

  private fail(run: TrackedRun, message: string): never {
    this.deps.stats.violations.push(`${this.name} run ${run.runId}: ${message}`);
    throw new Violation(message);
  }

  /** 1–12 tagged events (sometimes up to 100), keeping the run's text message valid. */
  private batch(run: TrackedRun): Json[] {
    const { rng } = this.deps;
    const size = rng.chance(0.05) ? rng.int(40, 100) : rng.int(1, 12);
    const events: Json[] = [];
    const tag = () => `${this.name}.${++this.counter}`;
    for (let i = 0; i < size; i++) {
      const roll = rng.next();
      if (run.openMessage === undefined && roll < 0.25) {
        run.openMessage = `${this.name}.m${this.counter + 1}`;
        events.push({
          type: "TEXT_MESSAGE_START",
          messageId: run.openMessage,
          role: "assistant",
          rl: tag(),
        });
      } else if (run.openMessage !== undefined && roll < 0.6) {
        events.push({
          type: "TEXT_MESSAGE_CONTENT",
          messageId: run.openMessage,
          delta: rng.pick(["hé ", "🚀 ", "token ", '"quoted" ']),
          rl: tag(),
        });
      } else if (run.openMessage !== undefined && roll < 0.7) {
        events.push({ type: "TEXT_MESSAGE_END", messageId: run.openMessage, rl: tag() });
        run.openMessage = undefined;
      } else {
        const padding = this.deps.padding ?? 0;
        events.push({
          type: "CUSTOM",
          name: "reliability",
          value: { n: this.counter, ...(padding > 0 && { pad: "x".repeat(padding) }) },
          rl: tag(),
        });
      }
    }
    return events;
  }
}
