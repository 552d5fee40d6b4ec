/**
 * A test client for Runline's SSE streams over real HTTP: `node:http` for the connection (one
 * connection per stream, closed with it, as a browser's EventSource has), `eventsource-parser`
 * for the frames (never hand-parsed), the raw text kept for byte-exact checks.
 *
 * Why not `fetch`: undici opens spare connections when several requests start at once, and a
 * connection that never carries a request holds `server.close()` until Node's headersTimeout.
 */
import http from "node:http";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { BOOTSTRAP_KEY } from "../helpers/server.ts";

export interface StreamOptions {
  /** Sent as the Last-Event-ID header. */
  lastEventId?: string | number;
  /** Added to (or, with the same name, replacing) the bootstrap key's Authorization header. */
  headers?: Record<string, string>;
}

export interface ParsedEvent {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

export type StreamOutcome = "ended" | "aborted" | "failed";

/** An open SSE response (or the refusal, when `status` is not 200). */
export class SseStream {
  readonly messages: EventSourceMessage[] = [];
  readonly comments: string[] = [];
  retry: number | undefined;
  raw = "";
  /** How the body ended: the server ended it, the client aborted, or the connection failed. */
  readonly done: Promise<StreamOutcome>;
  readonly #request: http.ClientRequest;
  readonly #response: http.IncomingMessage;
  #waiters: (() => void)[] = [];
  #finished = false;
  #aborted = false;

  private constructor(request: http.ClientRequest, response: http.IncomingMessage) {
    this.#request = request;
    this.#response = response;
    this.done = this.#read();
  }

  static open(url: string, options: StreamOptions = {}): Promise<SseStream> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${BOOTSTRAP_KEY}`,
      accept: "text/event-stream",
      ...(options.lastEventId !== undefined && { "last-event-id": String(options.lastEventId) }),
      ...options.headers,
    };
    return new Promise((resolve, reject) => {
      const request = http.get(url, { agent: false, headers }, (response) =>
        resolve(new SseStream(request, response)),
      );
      request.on("error", reject);
    });
  }

  get status(): number {
    return this.#response.statusCode ?? 0;
  }

  header(name: string): string | undefined {
    const value = this.#response.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(", ") : value;
  }

  get finished(): boolean {
    return this.#finished;
  }

  /** The event frames received so far, parsed. */
  get events(): ParsedEvent[] {
    return this.messages.map((m) => ({
      id: Number(m.id),
      event: m.event ?? "message",
      data: JSON.parse(m.data) as Record<string, unknown>,
    }));
  }

  get ids(): number[] {
    return this.messages.map((m) => Number(m.id));
  }

  /** Waits until `predicate` holds or the stream has finished; returns whether it holds. */
  async until(predicate: (s: SseStream) => boolean): Promise<boolean> {
    while (!predicate(this) && !this.#finished) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return predicate(this);
  }

  /** Waits for `count` event frames in total (or the end). */
  untilCount(count: number): Promise<boolean> {
    return this.until((s) => s.messages.length >= count);
  }

  /** Disconnects, as a client going away would. */
  abort(): void {
    this.#aborted = true;
    this.#request.destroy();
  }

  async #read(): Promise<StreamOutcome> {
    const parser = createParser({
      onEvent: (message) => this.messages.push(message),
      onRetry: (retry) => {
        this.retry = retry;
      },
      onComment: (comment) => this.comments.push(comment),
    });
    this.#response.setEncoding("utf8");
    try {
      for await (const chunk of this.#response as AsyncIterable<string>) {
        this.raw += chunk;
        parser.feed(chunk);
        this.#wake();
      }
      return this.#aborted ? "aborted" : "ended";
    } catch {
      return this.#aborted ? "aborted" : "failed";
    } finally {
      this.#finished = true;
      this.#wake();
    }
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
