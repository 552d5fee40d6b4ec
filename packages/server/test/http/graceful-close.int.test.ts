/** Shutdown (docs/api.md §6): close() finishes without waiting on idle or silent connections. */
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect } from "node:net";
import { test } from "node:test";
import { createRun, startTestServer } from "../helpers/server.ts";

test("close() ends connections that never sent a request instead of waiting for Node's timeouts", {
  timeout: 30_000,
}, async () => {
  const server = await startTestServer();
  const port = new URL(server.url).port;
  const silent = connect(Number(port), "127.0.0.1");
  await once(silent, "connect");
  const closed = once(silent, "close");
  await createRun(server);
  await server.close();
  await closed;
  assert.equal(silent.destroyed, true);
});

test("a request in flight when closing starts is answered, with Connection: close", {
  timeout: 30_000,
}, async () => {
  const server = await startTestServer();
  const run = await createRun(server);
  const socket = connect(Number(new URL(server.url).port), "127.0.0.1");
  await once(socket, "connect");
  let response = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    response += chunk;
  });
  // Headers first, body later: the request is in flight while close() starts.
  const body = JSON.stringify({ events: [{ type: "CUSTOM", name: "late", value: 1 }] });
  const headReceived = once(server.server.app.server, "request");
  socket.write(
    `POST /runs/${run.run_id}/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
  );
  await headReceived;
  const closing = server.close();
  socket.write(body);
  await once(socket, "close");
  await closing;
  assert.match(response, /^HTTP\/1\.1 (200|503)/);
  assert.match(response.toLowerCase(), /connection: close/);
});
