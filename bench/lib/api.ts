/** Setup calls against a Runline server (not measured): create runs, open their messages. */
import { appendBody, authHeaders, newConversationId, textStart } from "./payloads.ts";

export class RunlineApi {
  constructor(readonly port: number) {}

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(this.base + path, {
      method,
      headers: authHeaders,
      ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (!response.ok)
      throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : undefined;
  }

  /** A running run with an open assistant message (so TEXT_MESSAGE_CONTENT appends are valid). */
  async createStreamingRun(runId: string, conversationId = newConversationId()): Promise<void> {
    await this.request("POST", "/runs", {
      kind: "agent",
      owner: { kind: "conversation", id: conversationId },
      request: { agent_id: "bench-agent", initial_status: "running" },
      public_id: runId,
    });
    await this.request("POST", `/runs/${runId}/events`, appendBody([textStart()]));
  }

  /** Creates `count` streaming runs named `${prefix}-${i}`, `concurrency` at a time. */
  async createStreamingRuns(
    prefix: string,
    count: number,
    concurrency = 16,
    /** All in this conversation (default: each in its own). */
    conversationId?: string,
  ): Promise<string[]> {
    const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, count) }, async () => {
        while (next < ids.length) {
          const id = ids[next++] as string;
          await this.createStreamingRun(id, conversationId);
        }
      }),
    );
    return ids;
  }

  async latestEventId(runId: string): Promise<number> {
    const page = (await this.request(
      "GET",
      `/conversations/${await this.conversationOf(runId)}/runs/${runId}`,
    )) as {
      latest_event_id: number;
    };
    return page.latest_event_id;
  }

  private async conversationOf(runId: string): Promise<string> {
    const summary = (await this.request("GET", `/runs/${runId}`)) as { owner: { id: string } };
    return summary.owner.id;
  }
}
