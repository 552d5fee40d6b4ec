/**
 * The HTTP edge (docs/api.md §12, issue 16 findings 5, 8, 9, 12), on every store: security headers
 * on every response, CORS when configured (and none otherwise), 431 and 408 as problem JSON,
 * the body timeout closing the socket, and a 413 that a real `fetch` can read.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { describeEachStore, startTestServer, type TestServer } from "../helpers/server.ts";
import { storeTargets } from "../helpers/stores.ts";

/** Sends raw bytes, then waits for the server to answer and close; returns what it sent back. */
function rawExchange(port: number, head: string, body = ""): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let answer = "";
    socket.on("data", (chunk) => {
      answer += chunk.toString("utf8");
    });
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
    socket.write(head + body);
  });
}

const ORIGIN = "http://localhost:5999";

describeEachStore("the HTTP edge", (server) => {
  test("every response says X-Content-Type-Options: nosniff; API JSON and problems are Cache-Control: no-store; /docs has a Content-Security-Policy", async () => {
    const run = await server().request("POST", "/runs", {
      kind: "agent",
      owner: { kind: "conversation", id: crypto.randomUUID() },
      request: { agent_id: "a" },
    });
    const answers = {
      created: run,
      problem: await server().request("GET", "/runs/nope"),
      health: await server().request("GET", "/healthz"),
      docs: await server().request("GET", "/docs/"),
      openapi: await server().request("GET", "/openapi.json"),
    };
    for (const [name, response] of Object.entries(answers)) {
      assert.equal(response.headers.get("x-content-type-options"), "nosniff", name);
    }
    assert.equal(answers.created.headers.get("cache-control"), "no-store");
    assert.equal(answers.problem.headers.get("cache-control"), "no-store");
    assert.match(answers.docs.headers.get("content-security-policy") ?? "", /default-src 'self'/);
    assert.equal(
      answers.created.headers.get("access-control-allow-origin"),
      null,
      "no CORS unless configured",
    );
  });

  test("request headers over 16 KiB get 431 headers_too_large as problem JSON", async () => {
    const port = Number(new URL(server().url).port);
    const answer = await rawExchange(
      port,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20 * 1024)}\r\n\r\n`,
    );
    assert.match(answer, /^HTTP\/1\.1 431 /);
    assert.match(answer, /content-type: application\/problem\+json/i);
    const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
    assert.equal(body.code, "headers_too_large");
    assert.equal(body.status, 431);
  });

  test("a body that does not arrive within RUNLINE_BODY_TIMEOUT_MS gets 408 request_timeout and the socket is closed", async () => {
    const slow = await startTestServer("sqlite", { RUNLINE_BODY_TIMEOUT_MS: "300" });
    after(() => slow.close());
    const port = Number(new URL(slow.url).port);
    const answer = await rawExchange(
      port,
      `POST /runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${slow.key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`,
      '{"kind":',
    );
    // `rawExchange` resolves only when the server closes the socket.
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /connection: close/i);
    const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
    assert.equal(body.code, "request_timeout");
  });

  test("an oversized body gets a 413 payload_too_large problem that fetch can read (the server keeps reading the body instead of resetting the socket)", async () => {
    for (const chunked of [false, true]) {
      const big = new Uint8Array(64 * 1024 * 1024).fill(0x20);
      const body = chunked
        ? new ReadableStream({
            start(controller) {
              for (let i = 0; i < 64; i++) controller.enqueue(big.subarray(i << 20, (i + 1) << 20));
              controller.close();
            },
          })
        : big;
      const response = await fetch(`${server().url}/runs`, {
        method: "POST",
        headers: { authorization: `Bearer ${server().key}`, "content-type": "application/json" },
        body,
        ...(chunked && { duplex: "half" }),
      } as RequestInit);
      assert.equal(response.status, 413, chunked ? "chunked" : "with Content-Length");
      const problem = (await response.json()) as { code: string };
      assert.equal(problem.code, "payload_too_large");
    }
    assert.equal((await server().request("GET", "/healthz")).status, 200);
  });

  test("a keep-alive connection that carries many refused uploads collects no listeners (each linger detaches what it added)", async () => {
    const sockets: net.Socket[] = [];
    const onConnection = (socket: net.Socket) => sockets.push(socket);
    server().server.app.server.on("connection", onConnection);
    const client = net.connect(Number(new URL(server().url).port), "127.0.0.1");
    try {
      await new Promise((resolve) => client.once("connect", resolve));
      let answers = "";
      client.on("data", (chunk) => {
        answers += chunk.toString("utf8");
      });
      const body = " ".repeat(256 * 1024);
      // Each request is refused before its body is read (no credential), so each lingers.
      for (let i = 1; i <= 15; i++) {
        client.write(
          `POST /runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
        );
        client.write(body);
        while ((answers.match(/HTTP\/1\.1 401/g) ?? []).length < i) {
          await new Promise((resolve) => client.once("data", resolve));
        }
      }
      assert.equal(sockets.length, 1, "all 15 requests used one connection");
      assert.ok(
        sockets[0]!.listenerCount("close") < 10,
        `close listeners on the server's socket: ${sockets[0]!.listenerCount("close")}`,
      );
    } finally {
      server().server.app.server.off("connection", onConnection);
      client.destroy();
    }
  });
});

describe("CORS when RUNLINE_CORS_ORIGINS is set", () => {
  const target = storeTargets()[0]!;
  let server: TestServer;
  before(async () => {
    server = await startTestServer(target.kind, {
      RUNLINE_CORS_ORIGINS: `${ORIGIN},http://other.test`,
    });
  });
  after(() => server.close());

  test("a preflight from an allowed origin gets 204 with the methods and the headers clients send; responses expose X-Request-Id; other origins get no CORS headers", async () => {
    const preflight = await fetch(`${server.url}/runs/abc/events`, {
      method: "OPTIONS",
      headers: {
        origin: ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers":
          "authorization,content-type,last-event-id,traceparent,x-api-key",
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), ORIGIN);
    assert.match(preflight.headers.get("access-control-allow-methods") ?? "", /POST/);
    const allowed = (preflight.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    for (const header of [
      "authorization",
      "content-type",
      "x-api-key",
      "last-event-id",
      "traceparent",
    ]) {
      assert.ok(allowed.includes(header), `${header} in ${allowed}`);
    }
    const actual = await server.request("GET", "/healthz", undefined, { origin: ORIGIN });
    assert.equal(actual.headers.get("access-control-allow-origin"), ORIGIN);
    assert.match(actual.headers.get("access-control-expose-headers") ?? "", /X-Request-Id/i);
    const stranger = await server.request("GET", "/healthz", undefined, {
      origin: "http://evil.test",
    });
    assert.equal(stranger.headers.get("access-control-allow-origin"), null);
  });
});
