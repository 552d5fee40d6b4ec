/**
 * A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records every request
 * (headers and raw body), answers with the status `respond` picks (200 by default), and can hold
 * requests unanswered until released. Tests wait for what they expect with `waitFor`, which is
 * told on every request (no polling, no sleeps).
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  id: string;
  headers: IncomingHttpHeaders;
  body: string;
  // biome-ignore lint/suspicious/noExplicitAny: inspected field by field
  json: any;
}

export class Receiver {
  readonly received: Received[] = [];
  /** Picks the answer to a request (after it is recorded). */
  respond: (request: Received) => number | Promise<number> = () => 200;
  readonly #server: Server;
  readonly #waiters = new Set<() => void>();

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<Receiver> {
    const server = createServer();
    const receiver = new Receiver(server);
    server.on("request", (request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", async () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const entry: Received = {
          id: String(request.headers["webhook-id"]),
          headers: request.headers,
          body,
          json: JSON.parse(body),
        };
        receiver.received.push(entry);
        for (const wake of receiver.#waiters) wake();
        const status = await receiver.respond(entry);
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return receiver;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Resolves once `done(received)` holds; rejects after `limitMs` (a safety bound, not timing). */
  waitFor(done: (received: Received[]) => boolean, limitMs = 30_000): Promise<Received[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done(this.received)) return false;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(this.received);
        return true;
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(
            `receiver: still waiting after ${limitMs} ms (${this.received.length} received)`,
          ),
        );
      }, limitMs);
      this.#waiters.add(check);
      check();
    });
  }

  of(type: string): Received[] {
    return this.received.filter((r) => r.json.type === type);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Resolves once `check()` is truthy (re-checked every 20 ms: for state only the store shows). */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  limitMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
