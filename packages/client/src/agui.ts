/**
 * `@runline/client/agui`: an AG-UI agent that attaches to a durable Runline run, so AG-UI
 * front ends render it and survive reloads.
 *
 * `run()` and `connect()` (hence `runAgent()` and `connectAgent()`) do not start anything: they
 * return the run's events as an Observable — its snapshot (RUN_STARTED, MESSAGES_SNAPSHOT,
 * STATE_SNAPSHOT, whatever is still open) followed by the live stream after it — which
 * completes after RUN_FINISHED / RUN_ERROR. A fresh agent on a reloaded page ends with the same
 * messages and state as one that watched from the start. Producing the run is the job of
 * whoever appends to it (a worker, a server-side agent).
 *
 * This entry imports `@ag-ui/client` and `rxjs` (optional peer dependencies); the core
 * client entry does not.
 */
import { AbstractAgent, type AgentConfig, type BaseEvent, type RunAgentInput } from "@ag-ui/client";
import { Observable } from "rxjs";
import type { RunlineClient } from "./client.ts";
import type { StreamOptions } from "./stream.ts";

export interface RunlineAgentConfig extends Omit<AgentConfig, "threadId"> {
  client: RunlineClient;
  /** The run's conversation; it is the AG-UI thread id. */
  conversationId: string;
  /** The run to attach to; when left out, `runAgent({ runId })` / `connectAgent({ runId })` name it. */
  runId?: string;
  /** Reconnect and timeout settings of the underlying stream. */
  stream?: Pick<StreamOptions, "reconnect" | "idleTimeoutMs" | "timeoutMs">;
}

export class RunlineAgent extends AbstractAgent {
  readonly client: RunlineClient;
  /** The run `run()` / `connect()` attach to (the input's `runId` when unset). */
  runId: string | undefined;
  private readonly streamOptions: RunlineAgentConfig["stream"];
  private readonly active = new Set<AbortController>();

  constructor(config: RunlineAgentConfig) {
    const { client, conversationId, runId, stream, ...agentConfig } = config;
    super({ ...agentConfig, threadId: conversationId });
    this.client = client;
    this.runId = runId;
    this.streamOptions = stream;
  }

  /** The run's events from its snapshot on; see the file comment. */
  run(input: RunAgentInput): Observable<BaseEvent> {
    return this.attach(input);
  }

  protected override connect(input: RunAgentInput): Observable<BaseEvent> {
    return this.attach(input);
  }

  /** Stops following: the event stream completes (the run itself goes on). */
  override abortRun(): void {
    for (const controller of this.active) controller.abort();
    super.abortRun();
  }

  override clone(): RunlineAgent {
    const copy = super.clone() as RunlineAgent;
    Object.assign(copy, { client: this.client, streamOptions: this.streamOptions });
    Object.defineProperty(copy, "active", { value: new Set<AbortController>() });
    copy.runId = this.runId;
    return copy;
  }

  private attach(input: RunAgentInput): Observable<BaseEvent> {
    const runId = this.runId ?? input.runId;
    const handle = this.client.run(this.threadId, runId);
    return new Observable<BaseEvent>((subscriber) => {
      const controller = new AbortController();
      this.active.add(controller);
      const follow = async () => {
        try {
          const events = handle.stream({
            ...this.streamOptions,
            fromSnapshot: true,
            signal: controller.signal,
          });
          for await (const item of events) {
            // The server stores and serves valid AG-UI events (docs/api.md §4.3, §4.7); the
            // agent's own pipeline validates them again (enforceEvents, verifyEvents).
            subscriber.next(item.event as unknown as BaseEvent);
          }
          subscriber.complete();
        } catch (error) {
          if (controller.signal.aborted) subscriber.complete();
          else subscriber.error(error);
        } finally {
          this.active.delete(controller);
        }
      };
      void follow();
      return () => controller.abort();
    });
  }
}
