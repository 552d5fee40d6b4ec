/**
 * Lets `app.close()` finish promptly without cutting in-flight requests short.
 *
 * Fastify closes connections that are idle when closing starts. Two kinds are not idle then and
 * would keep the server open until Node's timeouts (about a minute):
 * - connections that have not sent a complete request head yet (HTTP clients open spares,
 *   browsers pre-connect): destroyed at once, nothing is lost;
 * - keep-alive connections whose request is still in flight: the reply gets
 *   `Connection: close`, so the socket ends right after the request has been answered.
 * Requests that arrive once closing has begun get a 503 `unavailable` problem with Retry-After.
 */
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import { Problems } from "../errors.ts";

export function installGracefulClose(app: FastifyInstance): void {
  const silent = new Set<Socket>();
  let closing = false;

  app.server.on("connection", (socket: Socket) => {
    silent.add(socket);
    socket.once("close", () => silent.delete(socket));
  });
  // The HTTP parser reads sockets directly ('data' is not emitted): a request marks its socket.
  app.server.on("request", (request: IncomingMessage) => silent.delete(request.socket));

  app.addHook("preClose", async () => {
    closing = true;
    for (const socket of silent) socket.destroy();
    silent.clear();
  });

  app.addHook("onSend", async (_request, reply) => {
    if (closing) reply.header("connection", "close");
  });

  // New requests while closing: a problem the client can act on (retry elsewhere, soon).
  app.addHook("onRequest", async () => {
    if (closing) {
      throw Problems.unavailable("The server is shutting down; retry on another instance", 1);
    }
  });
}
