/**
 * A TCP proxy on 127.0.0.1 in front of a test server that cuts connections on purpose.
 *
 * It forwards bytes both ways and watches the client side for HTTP/1.1 request lines (each
 * request on a kept-alive connection starts a chunk with one). For every request a `plan`
 * decides whether to cut its response after N bytes: the first N response bytes are
 * forwarded, then both sockets are destroyed. N = 0 forwards the request whole and drops the
 * entire response — the server has done the work, the client never hears of it.
 */
import net from "node:net";

export interface CutPlan {
  /** Destroy the connection after forwarding this many response bytes. */
  cutResponseAfterBytes: number;
}

/** Decides per request; `requestLine` is e.g. `GET /conversations/…/stream HTTP/1.1`. */
export type Planner = (requestLine: string) => CutPlan | undefined;

export interface ChaosProxy {
  url: string;
  /** Request lines seen, in order. */
  readonly requests: string[];
  /** Connections cut so far. */
  readonly cuts: number;
  close(): Promise<void>;
}

const REQUEST_LINE = /^([A-Z]+) (\S+) HTTP\/1\.[01]\r\n/;

export async function startChaosProxy(targetUrl: string, planner: Planner): Promise<ChaosProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<net.Socket>();
  const requests: string[] = [];
  let cuts = 0;

  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    let plan: CutPlan | undefined;
    let responseBytes = 0;
    let cut = false;

    const destroyBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (chunk: Buffer) => {
      const match = REQUEST_LINE.exec(chunk.subarray(0, 2048).toString("latin1"));
      if (match) {
        const line = `${match[1]} ${match[2]}`;
        requests.push(line);
        plan = planner(line);
        responseBytes = 0;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (cut) return;
      if (plan === undefined) {
        client.write(chunk);
        return;
      }
      const remaining = plan.cutResponseAfterBytes - responseBytes;
      if (chunk.length < remaining) {
        responseBytes += chunk.length;
        client.write(chunk);
        return;
      }
      cut = true;
      cuts += 1;
      if (remaining > 0) client.write(chunk.subarray(0, remaining), destroyBoth);
      else destroyBoth();
    });
    for (const socket of [client, upstream]) {
      socket.on("error", destroyBoth);
      socket.on("close", () => {
        sockets.delete(socket);
        destroyBoth();
      });
    }
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("proxy has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    get cuts() {
      return cuts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A small seeded PRNG (mulberry32), so a failing chaos run can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
