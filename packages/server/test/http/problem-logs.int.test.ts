/**
 * A 5xx answer is logged as what it is (docs/api.md §3.3): an unreachable identity provider and
 * a server out of stream slots say so in their log line (with their code), and neither is
 * logged as "storage unavailable" — on every store.
 */
import assert from "node:assert/strict";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { generateKeyPair, SignJWT } from "jose";
import { bearer, bootstrapProjectId } from "../auth/fixtures.ts";
import { BOOTSTRAP_KEY, startTestServer, type TestServer } from "../helpers/server.ts";
import { storeTargets } from "../helpers/stores.ts";
import { runningRun } from "../live/run-fixtures.ts";
import { SseStream } from "../live/sse-client.ts";

interface LogLine {
  level: number;
  msg: string;
  code?: string;
}

/** A port nothing listens on: the identity provider is down. */
const deadPort = await new Promise<number>((resolve) => {
  const probe = createHttpServer();
  probe.listen(0, "127.0.0.1", () => {
    const { port } = probe.address() as AddressInfo;
    probe.close(() => resolve(port));
  });
});

for (const target of storeTargets()) {
  describe(`5xx log lines [${target.kind}]`, { skip: target.skip }, () => {
    const lines: LogLine[] = [];
    let server: TestServer;
    before(async () => {
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString("utf8").split("\n")) {
            if (line.trim() !== "") lines.push(JSON.parse(line) as LogLine);
          }
          done();
        },
      });
      server = await startTestServer(
        target.kind,
        {
          RUNLINE_JWKS_URL: `http://127.0.0.1:${deadPort}/jwks.json`,
          RUNLINE_SSE_MAX_STREAMS: "1",
        },
        { logger: { level: "warn", stream: sink } },
      );
    });
    after(() => server.close());

    const warnings = () => lines.filter((line) => line.level === 40).map((line) => line.msg);

    test("an unreachable JWKS answers 503 and logs that the identity provider's key set could not be fetched, not a storage fault", async () => {
      const { privateKey } = await generateKeyPair("RS256");
      const token = await new SignJWT({ project_id: await bootstrapProjectId(server) })
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .setSubject("u")
        .setExpirationTime("5m")
        .sign(privateKey);
      const response = await server.request("GET", "/runs", undefined, bearer(token));
      assert.equal(response.status, 503, response.text);
      assert.ok(
        warnings().includes("unavailable: The identity provider's key set could not be fetched"),
        JSON.stringify(warnings()),
      );
      assert.ok(!warnings().includes("storage unavailable"));
    });

    test("a server out of stream slots answers 503 and logs that it has too many open streams", async () => {
      const run = await runningRun(server);
      const open = () =>
        SseStream.open(`${server.url}/runs/${run.run_id}/stream`, {
          headers: { authorization: `Bearer ${BOOTSTRAP_KEY}` },
        });
      const first = await open();
      assert.equal(first.status, 200);
      const refused = await open();
      await refused.done;
      assert.equal(refused.status, 503, refused.raw);
      first.abort();
      await server.server.live.streams.whenIdle();
      assert.ok(
        warnings().some((msg) => msg.startsWith("unavailable: Too many open streams")),
        JSON.stringify(warnings()),
      );
      assert.ok(!warnings().includes("storage unavailable"));
    });
  });
}
