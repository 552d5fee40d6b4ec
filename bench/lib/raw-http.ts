/**
 * A minimal keep-alive HTTP/1.1 client over a raw socket: requests are encoded once, responses
 * are parsed just enough (status, Content-Length or chunked body). It costs the load generator
 * far less CPU than `http.request`, which matters on a 2-core machine where the generator and
 * the server compete for the same cores; each connection can carry its own request (its own
 * run), which autocannon cannot do per connection.
 */
import { connect, type Socket } from "node:net";

export interface RequestSpec {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export function encodeRequest(port: number, spec: RequestSpec): Buffer {
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  const lines = [`${spec.method} ${spec.path} HTTP/1.1`, `host: 127.0.0.1:${port}`];
  for (const [name, value] of Object.entries(spec.headers ?? {})) lines.push(`${name}: ${value}`);
  if (body) lines.push(`content-length: ${body.length}`);
  const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`);
  return body ? Buffer.concat([head, body]) : head;
}

export interface RawResponse {
  status: number;
  body: Buffer;
}

const HEADER_END = Buffer.from("\r\n\r\n");

/** One keep-alive connection; one request in flight at a time. */
export class RawConnection {
  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private waiter: { resolve: (r: RawResponse) => void; reject: (e: Error) => void } | undefined;

  constructor(private readonly port: number) {}

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port: this.port, noDelay: true });
      // Events of a socket this connection has since replaced are ignored.
      const current = () => this.socket === socket;
      socket.once("connect", () => {
        socket.off("error", reject);
        socket.on("error", (error) => {
          if (current()) this.fail(error);
        });
        resolve();
      });
      socket.once("error", reject);
      socket.on("data", (chunk: Buffer) => {
        if (current()) this.onData(chunk);
      });
      socket.on("close", () => {
        if (current()) this.fail(new Error("connection closed"));
      });
      this.buffer = Buffer.alloc(0);
      this.socket = socket;
    });
  }

  get connected(): boolean {
    return this.socket !== undefined && !this.socket.destroyed;
  }

  send(request: Buffer): Promise<RawResponse> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.reject(new Error("not connected"));
    if (this.waiter) return Promise.reject(new Error("a request is already in flight"));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      socket.write(request);
    });
  }

  close(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    this.socket?.destroy();
    this.socket = undefined;
    waiter?.reject(new Error("connection closed"));
  }

  private fail(error: Error): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    this.socket?.destroy();
    waiter?.reject(error);
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const parsed = parseResponse(this.buffer);
    if (!parsed) return;
    this.buffer = this.buffer.subarray(parsed.consumed);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve(parsed.response);
  }
}

/** A complete response at the start of `data`, or undefined when more bytes are needed. */
export function parseResponse(
  data: Buffer,
): { response: RawResponse; consumed: number } | undefined {
  const headerEnd = data.indexOf(HEADER_END);
  if (headerEnd < 0) return undefined;
  const head = data.subarray(0, headerEnd).toString("latin1");
  const lines = head.split("\r\n");
  const status = Number(lines[0]?.split(" ")[1]);
  let contentLength = -1;
  let chunked = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-length") contentLength = Number(value);
    else if (name === "transfer-encoding" && value.toLowerCase().includes("chunked"))
      chunked = true;
  }
  const bodyStart = headerEnd + HEADER_END.length;
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
    return { response: { status, body: Buffer.alloc(0) }, consumed: bodyStart };
  }
  if (chunked) {
    const parts: Buffer[] = [];
    let at = bodyStart;
    for (;;) {
      const lineEnd = data.indexOf("\r\n", at);
      if (lineEnd < 0) return undefined;
      const size = Number.parseInt(data.subarray(at, lineEnd).toString("latin1"), 16);
      const chunkStart = lineEnd + 2;
      if (data.length < chunkStart + size + 2) return undefined;
      if (size === 0) {
        // No trailers expected: the terminating CRLF follows the zero-size chunk line.
        return { response: { status, body: Buffer.concat(parts) }, consumed: chunkStart + 2 };
      }
      parts.push(data.subarray(chunkStart, chunkStart + size));
      at = chunkStart + size + 2;
    }
  }
  const length = Math.max(contentLength, 0);
  if (data.length < bodyStart + length) return undefined;
  return {
    response: { status, body: data.subarray(bodyStart, bodyStart + length) },
    consumed: bodyStart + length,
  };
}
