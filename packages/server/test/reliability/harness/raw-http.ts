/**
 * HTTP without a client's safety rails, for fuzzing: any method with any body (GET included),
 * any header value node accepts, bodies as raw bytes — and, through a bare socket, requests no
 * client library would send (malformed lengths, broken request lines, control characters).
 *
 * Streams (text/event-stream) are cut off once their head arrives: only the status matters.
 */
import { request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";

/** A request that got no answer at all within HANG_LIMIT_MS. */
export class Hung extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Hung";
  }
}

/** The server closed the connection before answering (e.g. while a too-large body was sent). */
export class ClosedByServer extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ClosedByServer";
  }
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * How long a request may go without any answer before it counts as hung. A liveness bound, not
 * a speed check: a healthy server answers these in milliseconds, even on a loaded machine.
 */
export const HANG_LIMIT_MS = 20_000;
const LIMIT_MS = HANG_LIMIT_MS;

export function send(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | string | undefined,
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        // A connection per request: one case's trouble cannot spill into the next.
        agent: false,
        headers: {
          ...(body !== undefined && { "content-length": String(Buffer.byteLength(body)) }),
          ...headers,
        },
        timeout: LIMIT_MS,
      },
      (res) => {
        const type = String(res.headers["content-type"] ?? "");
        if (type.startsWith("text/event-stream")) {
          res.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: "" });
          return;
        }
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", (error) =>
          reject(new ClosedByServer(`${method} ${path}: ${error.message}`)),
        );
      },
    );
    req.on("timeout", () =>
      req.destroy(new Error(`${method} ${path}: no answer within the safety bound`)),
    );
    req.on("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EPIPE" || error.code === "ECONNRESET"
          ? new ClosedByServer(`${method} ${path}: ${error.code}`)
          : error,
      );
    });
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

export interface SocketAnswer {
  /** The status of the first response line, or undefined when the server just closed. */
  status: number | undefined;
  text: string;
}

/** Writes `bytes` on a fresh connection, half-closes it, and reads until the server closes. */
export function sendBytes(port: number, bytes: Buffer): Promise<SocketAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    const limit = setTimeout(() => {
      socket.destroy();
      reject(new Error("raw request: no answer within the safety bound"));
    }, LIMIT_MS);
    socket.on("connect", () => socket.end(bytes));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => {
      // A reset after the server answered (or refused) is fine: what was read counts.
    });
    socket.on("close", () => {
      clearTimeout(limit);
      const text = Buffer.concat(chunks).toString("latin1");
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : undefined, text });
    });
  });
}

/** Resolves once connecting to `port` is refused (the server stopped listening); bounded tries. */
export async function whenRefused(port: number, tries = 5000): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(false);
      });
      socket.once("error", () => resolve(true));
    });
    if (refused) return true;
  }
  return false;
}

/** A connection written to step by step, with everything read kept as text. */
export class StepSocket {
  private text = "";
  private closed = false;
  private waiters: (() => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      this.text += chunk;
      this.wake();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  static open(port: number): Promise<StepSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => resolve(new StepSocket(socket)));
      socket.once("error", reject);
    });
  }

  write(data: string): void {
    this.socket.write(data);
  }

  get received(): string {
    return this.text;
  }

  /** Resolves when what was read contains `marker` (true) or the connection closed (false). */
  async until(marker: string): Promise<boolean> {
    while (!this.text.includes(marker)) {
      if (this.closed) return false;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return true;
  }

  /** Resolves when the server has closed the connection. */
  async untilClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
