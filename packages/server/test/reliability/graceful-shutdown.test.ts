/**
 * Promise: SIGTERM under load loses nothing — every acknowledged append is durable after the
 * restart, requests in flight either finish or are refused cleanly (the connection closed, or
 * the contract's 503 `unavailable` with Retry-After; never another 5xx), and the process exits
 * by itself, through the graceful path (exit code 0, not the grace-period force exit).
 *
 * Each cycle: concurrent producers append (as in the crash test), SIGTERM lands at a random
 * moment of that load, a few extra requests are sent while the server closes, the process must
 * exit on its own, then a fresh process over the same storage must hold every acknowledged
 * item exactly once, and the producers resend what was in doubt.
 *
 * Size: 3 cycles per store (× RELIABILITY_SCALE); RELIABILITY_SEED replays.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import {
  Api,
  type ApiResponse,
  brief,
  isContractUnavailable,
  TransportError,
} from "./harness/api.ts";
import { Campaign } from "./harness/campaign.ts";
import { StepSocket, whenRefused } from "./harness/raw-http.ts";
import { PROCESS_KEY, RunlineProcess } from "./harness/runline-process.ts";
import { Rng, SCALE, SEED, scaled } from "./harness/scale.ts";
import { postgresSkip, processStorage } from "./harness/storage.ts";

/** Generous: a loaded machine must not turn a clean shutdown into a forced one. */
const GRACE_MS = 30_000;
/** A safety bound on waiting for the exit, beyond the server's own grace period. */
const EXIT_LIMIT_MS = GRACE_MS + 30_000;

const targets = [
  { kind: "sqlite" as const, skip: false as const },
  { kind: "postgres" as const, skip: postgresSkip() },
];

interface ShutdownFigures {
  cycles: number;
  /** Producer requests answered 2xx between the SIGTERM and the exit. */
  finishedDuringShutdown: number;
  refused503: number;
  connectionClosed: number;
  probes: Record<string, number>;
  probeCreatesAcked: string[];
  exitCodes: (number | null)[];
  problems: string[];
}

function classify(outcome: ApiResponse | TransportError): string {
  if (outcome instanceof TransportError) return "connection closed/refused";
  if (outcome.status === 503)
    return isContractUnavailable(outcome) ? "503 unavailable" : "503 off-contract";
  return String(outcome.status);
}

describe("SIGTERM under load: acknowledged appends stay durable, in-flight requests finish or are refused cleanly, the process exits by itself", () => {
  for (const [index, target] of targets.entries()) {
    test(`graceful shutdown under concurrent producers [${target.kind}]`, {
      skip: target.skip,
      timeout: 600_000 * Math.max(1, SCALE),
    }, async (t) => {
      const seed = SEED + 200 + index;
      const rng = new Rng(seed);
      const storage = await processStorage(target.kind);
      const env = { ...storage.env, RUNLINE_SHUTDOWN_GRACE_MS: String(GRACE_MS) };
      const campaign = await Campaign.start({ env, rng, producers: 8 });
      const cycles = scaled(3);
      const figures: ShutdownFigures = {
        cycles: 0,
        finishedDuringShutdown: 0,
        refused503: 0,
        connectionClosed: 0,
        probes: {},
        probeCreatesAcked: [],
        exitCodes: [],
        problems: [],
      };
      const probeConversation = randomUUID();
      try {
        campaign.startLoad();
        for (let cycle = 1; cycle <= cycles; cycle++) {
          const before = { ...campaign.stats };
          const landed = await campaign.at(rng, rng.int(5, 40), () => {
            // Producers finish what is in flight, then wait; new requests come from the probes.
            campaign.gate.close();
            campaign.server.kill("SIGTERM");
          });
          if (!landed) break;
          // Requests sent while the server closes: each must be answered 2xx, refused with
          // the contract's 503, or meet a closed connection.
          for (let i = 0; i < 6 && campaign.server.running; i++) {
            const publicId = `probe-${cycle}-${i}-${randomUUID().slice(0, 6)}`;
            let outcome: ApiResponse | TransportError;
            try {
              outcome = await campaign.api.request("POST", "/runs", {
                kind: "agent",
                owner: { kind: "conversation", id: probeConversation },
                public_id: publicId,
                request: { agent_id: "probe" },
              });
            } catch (error) {
              if (!(error instanceof TransportError)) throw error;
              outcome = error;
            }
            const kind = classify(outcome);
            figures.probes[kind] = (figures.probes[kind] ?? 0) + 1;
            if (!(outcome instanceof TransportError)) {
              if (outcome.status === 202) figures.probeCreatesAcked.push(publicId);
              else if (!isContractUnavailable(outcome)) {
                figures.problems.push(
                  `cycle ${cycle}: a create during shutdown answered ${brief(outcome)}`,
                );
              }
            }
          }
          const exit = await Promise.race([
            campaign.server.exited,
            new Promise<"hung">((resolve) =>
              setTimeout(() => resolve("hung"), EXIT_LIMIT_MS).unref(),
            ),
          ]);
          if (exit === "hung") {
            figures.problems.push(`cycle ${cycle}: the process did not exit after SIGTERM`);
            break;
          }
          figures.exitCodes.push(exit.code);
          if (exit.code !== 0 || exit.signal !== null) {
            figures.problems.push(
              `cycle ${cycle}: exited with code ${exit.code}, signal ${exit.signal}: ${campaign.server.stderr.slice(-800)} ${campaign.server.recentLogs
                .filter(
                  (l) => !l.includes('"incoming request"') && !l.includes('"request completed"'),
                )
                .slice(-8)
                .join("\n")}`,
            );
          }
          figures.cycles++;
          const after = campaign.stats;
          figures.finishedDuringShutdown += after.acks - before.acks;
          figures.refused503 += after.unavailable - before.unavailable;
          figures.connectionClosed += after.transportErrors - before.transportErrors;
          await campaign.quiesce();
          await campaign.restart();
          if (!(await campaign.verify(`after SIGTERM ${cycle}`))) break;
          for (const publicId of figures.probeCreatesAcked) {
            const found = await campaign.api.request("GET", `/runs/${publicId}`);
            if (found.status !== 200) {
              figures.problems.push(
                `an acknowledged create during shutdown (${publicId}) is gone: ${brief(found)}`,
              );
            }
          }
          campaign.resume();
        }
        await campaign.finish();
        await campaign.verify("after the load finished");
      } finally {
        await campaign.dispose();
        await storage.dispose();
      }
      const { stats } = campaign;
      t.diagnostic(
        `seed ${seed}; SIGTERM cycles ${figures.cycles}; exit codes ${JSON.stringify(figures.exitCodes)}; acknowledged operations ${stats.acks} (${stats.ackedEvents} events)`,
      );
      t.diagnostic(
        `in flight at SIGTERM: finished ${figures.finishedDuringShutdown}, refused 503 ${figures.refused503}, connection closed ${figures.connectionClosed}; probes during shutdown ${JSON.stringify(figures.probes)}`,
      );
      t.diagnostic(
        `verifications ${campaign.figures.verifications}: ${campaign.figures.eventsChecked} stored events read, ${campaign.figures.ackedItemsChecked} acknowledged items found exactly once; 5xx seen: ${stats.serverErrors}; off-contract 503s: ${stats.unavailableOffContract.length}`,
      );
      for (const kind of campaign.figures.unhandledKinds)
        t.diagnostic(`500 logged by the server: ${kind}`);
      assert.deepEqual(stats.violations, []);
      assert.deepEqual(campaign.figures.problems, []);
      assert.deepEqual(figures.problems, []);
      assert.deepEqual(
        stats.unavailableOffContract,
        [],
        "every 503 is problem JSON `unavailable` with Retry-After",
      );
      assert.equal(stats.serverErrors, 0);
      assert.equal(campaign.figures.unhandledErrors, 0);
      assert.equal(figures.cycles, cycles);
    });
  }

  for (const target of targets) {
    test(`a request in flight at SIGTERM finishes and is durable; one behind it on the same connection is refused cleanly [${target.kind}]`, {
      skip: target.skip,
      timeout: 120_000,
    }, async (t) => {
      const storage = await processStorage(target.kind);
      const env = { ...storage.env, RUNLINE_SHUTDOWN_GRACE_MS: String(GRACE_MS) };
      const server = await RunlineProcess.start({ env });
      const problems: string[] = [];
      let exitCode: number | null = null;
      try {
        const api = new Api(server.url, PROCESS_KEY);
        const created = await api.request("POST", "/runs", {
          kind: "agent",
          owner: { kind: "conversation", id: randomUUID() },
          request: { agent_id: "inflight", initial_status: "running" },
        });
        assert.equal(created.status, 202, brief(created));
        const runId = (created.body as { run: { run_id: string } }).run.run_id;
        const body = JSON.stringify({ events: [{ type: "CUSTOM", name: "in-flight", value: 1 }] });
        // Request 1 is in flight (headers read — the server said 100 Continue — body not yet
        // complete) when SIGTERM arrives; request 2 follows it on the same connection once
        // the server has stopped listening.
        const socket = await StepSocket.open(server.port);
        socket.write(
          `POST /runs/${runId}/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${PROCESS_KEY}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
        );
        assert.ok(await socket.until("100 Continue"), "the server read the first request's head");
        socket.write(body.slice(0, 5));
        server.kill("SIGTERM");
        assert.ok(await whenRefused(server.port), "the server stopped accepting connections");
        socket.write(
          `${body.slice(5)}GET /runs?limit=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${PROCESS_KEY}\r\n\r\n`,
        );
        await socket.untilClosed();
        const responses = socket.received
          .split(/(?=HTTP\/1\.1 \d{3} )/)
          .filter((r) => r.startsWith("HTTP/1.1") && !r.startsWith("HTTP/1.1 100"));
        const statuses = responses.map((r) => Number(r.slice(9, 12)));
        t.diagnostic(`answers on the connection: ${JSON.stringify(statuses)}`);
        if (statuses[0] !== 200)
          problems.push(
            `the in-flight append answered ${responses[0]?.slice(0, 300) ?? "nothing"}`,
          );
        const second = responses[1];
        if (second !== undefined) {
          const [head = "", text = ""] = second.split("\r\n\r\n");
          const ok =
            second.startsWith("HTTP/1.1 503") &&
            /\r\ncontent-type: application\/problem\+json/i.test(head) &&
            /\r\nretry-after: /i.test(head) &&
            text.includes('"code":"unavailable"');
          t.diagnostic(`request during shutdown: ${head.split("\r\n")[0]} ${text.slice(0, 120)}`);
          if (!ok) {
            problems.push(
              `a request during shutdown was not refused with the contract's 503 (problem JSON, code unavailable, Retry-After): ${second.slice(0, 400)}`,
            );
          }
        }
        const exit = await server.exited;
        exitCode = exit.code;
        if (exit.code !== 0) problems.push(`exited with ${exit.code} / ${exit.signal}`);
        const again = await RunlineProcess.start({ env });
        try {
          const log = await new Api(again.url, PROCESS_KEY).request("GET", `/runs/${runId}/events`);
          const names = ((log.body as { data: { event: { name?: string } }[] }).data ?? []).map(
            (e) => e.event.name,
          );
          if (statuses[0] === 200 && names.filter((n) => n === "in-flight").length !== 1) {
            problems.push("the acknowledged in-flight append is not stored exactly once");
          }
        } finally {
          await again.stop();
        }
      } finally {
        await server.stop();
        await storage.dispose();
      }
      t.diagnostic(`exit code ${exitCode}`);
      assert.deepEqual(problems, []);
    });
  }
});
