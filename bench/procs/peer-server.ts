/**
 * The peer: `@durable-streams/server` (the reference Durable Streams server) in its own
 * process, file-backed (append-only log files + LMDB metadata, an fdatasync per append) in a
 * temporary directory given as BENCH_PEER_DATA_DIR, on 127.0.0.1. Compression is off, as in
 * Runline. Protocol used: `PUT /v1/stream/<name>` (create, application/json), `POST` (append a
 * JSON array: each element is one message), `GET ?offset=-1&live=sse` (replay then follow).
 */
import { DurableStreamTestServer } from "@durable-streams/server";
import { serveChild } from "../lib/child.ts";

export interface PeerInfo {
  port: number;
  pid: number;
  url: string;
}

const dataDir = process.env.BENCH_PEER_DATA_DIR;
if (!dataDir) throw new Error("BENCH_PEER_DATA_DIR is not set");

const server = new DurableStreamTestServer({
  port: 0,
  host: "127.0.0.1",
  dataDir,
  compression: false,
  longPollTimeout: 30_000,
});
const url = await server.start();
const port = Number(new URL(url).port);

serveChild(
  { port, pid: process.pid, url } satisfies PeerInfo,
  {
    memory: async () => process.memoryUsage(),
  },
  async () => {
    await server.stop();
  },
);
