/**
 * Promise: a crash at any instant loses no acknowledged event and leaves no gap or duplicate.
 *
 * The real server runs as a process under concurrent producers (own runs each, batches with
 * expected cursors, tool waits, completes, cancels) and is SIGKILLed at random moments of that
 * load; after each restart over the same storage every run is checked against everything the
 * producers were told (see harness/verify-log.ts), then the producers resend what was in doubt
 * by the retry rule and go on. SQLite with synchronous=NORMAL and FULL, and PostgreSQL.
 *
 * Size: RELIABILITY_SCALE multiplies the kills (default 20 for SQLite NORMAL, 10 for FULL and
 * PostgreSQL); RELIABILITY_SEED replays a run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Campaign } from "./harness/campaign.ts";
import { Rng, SCALE, SEED, scaled } from "./harness/scale.ts";
import { postgresSkip, processStorage } from "./harness/storage.ts";

interface CrashTarget {
  name: string;
  kind: "sqlite" | "postgres";
  synchronous?: "NORMAL" | "FULL";
  kills: number;
  skip: string | false;
}

const targets: CrashTarget[] = [
  {
    name: "SQLite, synchronous=NORMAL",
    kind: "sqlite",
    synchronous: "NORMAL",
    kills: scaled(20),
    skip: false,
  },
  {
    name: "SQLite, synchronous=FULL",
    kind: "sqlite",
    synchronous: "FULL",
    kills: scaled(10),
    skip: false,
  },
  { name: "PostgreSQL", kind: "postgres", kills: scaled(10), skip: postgresSkip() },
];

describe("a crash at any instant loses no acknowledged event and leaves no gap or duplicate", () => {
  for (const [index, target] of targets.entries()) {
    test(`${target.name}: ${target.kills} SIGKILLs under concurrent producers`, {
      skip: target.skip,
      timeout: 600_000 * Math.max(1, SCALE),
    }, async (t) => {
      const seed = SEED + index;
      const rng = new Rng(seed);
      const storage = await processStorage(target.kind, target.synchronous);
      const campaign = await Campaign.start({
        env: storage.env,
        rng,
        producers: 8,
        ...(storage.env.RUNLINE_DATA_DIR && {
          walFile: join(storage.env.RUNLINE_DATA_DIR, "runline.db-wal"),
        }),
      });
      let kills = 0;
      try {
        campaign.startLoad();
        while (kills < target.kills) {
          const landed = await campaign.at(rng, rng.int(1, 30), () => {
            campaign.gate.close();
            campaign.server.kill("SIGKILL");
          });
          if (!landed) break; // the load stopped on a violation: reported below
          const exit = await campaign.server.exited;
          assert.equal(exit.signal, "SIGKILL", "the server died of the kill");
          kills++;
          await campaign.quiesce();
          await campaign.restart();
          const ready = await campaign.api.request("GET", "/readyz");
          assert.equal(ready.status, 200, "ready again after the restart");
          if (!(await campaign.verify(`after kill ${kills}`))) break;
          campaign.resume();
        }
        await campaign.finish();
        await campaign.verify("after the load finished");
      } finally {
        await campaign.dispose();
        await storage.dispose();
      }
      const { stats, figures } = campaign;
      t.diagnostic(
        `seed ${seed}; kills survived ${kills}; restarts ${figures.restarts}; ` +
          `acknowledged operations ${stats.acks} (${stats.ackedEvents} events) across ${campaign.allRuns().length} runs`,
      );
      t.diagnostic(
        `verifications ${figures.verifications}: ${figures.runsChecked} run checks, ${figures.eventsChecked} stored events read, ` +
          `${figures.ackedItemsChecked} acknowledged items found exactly once in place`,
      );
      t.diagnostic(
        `requests ${stats.requests}, cut by kills ${stats.transportErrors}; in-doubt operations found committed ${figures.inDoubtCommitted}, not committed ${figures.inDoubtNotCommitted}; ` +
          `retries answered duplicate ${stats.retried.duplicate} / partial ${stats.retried.partial} / fresh ${stats.retried.fresh}`,
      );
      t.diagnostic(
        `5xx seen: ${stats.serverErrors} (+ ${stats.unavailable} 503s retried); unhandled errors logged ${figures.unhandledErrors}`,
      );
      for (const kind of figures.unhandledKinds) t.diagnostic(`500 logged by the server: ${kind}`);
      assert.deepEqual(stats.violations, [], "producers were never answered against the contract");
      assert.deepEqual(figures.problems, [], "every run matched what was acknowledged");
      assert.equal(kills, target.kills, "every planned kill happened");
      assert.equal(stats.serverErrors, 0);
      assert.equal(figures.unhandledErrors, 0);
      assert.ok(stats.acks > kills, "the load made progress between kills");
    });
  }
});
