/**
 * Promise: when storage fails, Runline answers clearly — success, or 503 `unavailable` with
 * Retry-After, never another 5xx — loses and corrupts nothing, and recovers by itself once
 * storage is back (without a restart), with /readyz telling the truth meanwhile.
 *
 * - SQLite, a data directory that cannot be written, at start (chmod; as root, where chmod does
 *   not stop writes, the immutable attribute) and after a clean stop with data in it.
 * - SQLite, the data directory turning read-only under load (`chattr +i`: the only fault that
 *   also stops writes through files SQLite already holds open; root only, else skipped).
 * - SQLite, a full disk under load (a tmpfs shrunk to what it holds, then grown back; root only,
 *   else skipped).
 * - PostgreSQL, the server's backends terminated under load (`pg_terminate_backend`, only this
 *   test's own role and application_name `runline`), then the database refusing connections
 *   (the role's CONNECTION LIMIT 0) until it is allowed again. The shared PostgreSQL service is
 *   never restarted.
 *
 * Size: fault cycles × RELIABILITY_SCALE; RELIABILITY_SEED replays.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import pg from "pg";
import { Api, brief, isContractUnavailable, TransportError } from "./harness/api.ts";
import { Campaign } from "./harness/campaign.ts";
import {
  immutableUnavailable,
  isRoot,
  mountUnavailable,
  setImmutable,
  Tmpfs,
} from "./harness/mounts.ts";
import { PROCESS_KEY, RunlineProcess, StartFailed } from "./harness/runline-process.ts";
import { Rng, SCALE, SEED, scaled } from "./harness/scale.ts";
import { postgresSkip, processStorage } from "./harness/storage.ts";
import { readLog } from "./harness/verify-log.ts";

const LIMIT = { timeout: 600_000 * Math.max(1, SCALE) };

/** Appends one tagged event at a time to its own run, recording how each was answered. */
class Probe {
  readonly acked: string[] = [];
  readonly refused: string[] = [];
  /** Answered with a 5xx other than 503 (a finding): must not have been written either. */
  readonly failed: string[] = [];
  readonly inDoubt: string[] = [];
  readonly problems: string[] = [];
  readonly answers: Record<string, number> = {};

  private constructor(readonly runId: string) {}

  static async create(api: Api): Promise<Probe> {
    const response = await api.request("POST", "/runs", {
      kind: "agent",
      owner: { kind: "conversation", id: randomUUID() },
      request: { agent_id: "probe", initial_status: "running" },
    });
    assert.equal(response.status, 202, brief(response));
    return new Probe((response.body as { run: { run_id: string } }).run.run_id);
  }

  /** `count` appends; each must succeed or be the contract's 503. */
  async append(api: Api, label: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const tag = `${label}.${i}`;
      let kind: string;
      try {
        const response = await api.request("POST", `/runs/${this.runId}/events`, {
          events: [{ type: "CUSTOM", name: "probe", value: tag }],
        });
        if (response.status === 200) {
          this.acked.push(tag);
          kind = "200";
        } else if (isContractUnavailable(response)) {
          this.refused.push(tag);
          kind = "503 unavailable";
        } else {
          kind = String(response.status);
          if (response.status >= 500) this.failed.push(tag);
          this.problems.push(`probe ${tag} answered ${brief(response)}`);
        }
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        this.inDoubt.push(tag);
        kind = "no answer";
      }
      this.answers[kind] = (this.answers[kind] ?? 0) + 1;
    }
  }

  /** Acknowledged probes are stored exactly once; refused ones (when `strict`) not at all. */
  async check(api: Api, strict: boolean): Promise<string[]> {
    const log = await readLog(api, this.runId);
    const stored = log.filter((e) => e.event.name === "probe").map((e) => String(e.event.value));
    const problems = [...this.problems];
    for (const tag of this.acked) {
      const count = stored.filter((s) => s === tag).length;
      if (count !== 1) problems.push(`acknowledged probe ${tag} is stored ${count} times`);
    }
    if (strict) {
      for (const tag of [...this.refused, ...this.failed]) {
        if (stored.includes(tag)) problems.push(`probe ${tag} was refused but written`);
      }
    }
    return problems;
  }
}

/** Lets the load run until `count` more operations are acknowledged. */
async function runFor(campaign: Campaign, rng: Rng, count: number): Promise<boolean> {
  return campaign.at(rng, count, () => undefined);
}

/** Stops the load at the gate, checks every run, and lets it go on. */
async function checkpoint(campaign: Campaign, label: string): Promise<boolean> {
  campaign.gate.close();
  await campaign.quiesce();
  const ok = await campaign.verify(label);
  campaign.resume();
  return ok;
}

function report(t: { diagnostic(message: string): void }, campaign: Campaign, seed: number): void {
  const { stats, figures } = campaign;
  t.diagnostic(
    `seed ${seed}; acknowledged operations ${stats.acks} (${stats.ackedEvents} events); 503s met and retried ${stats.unavailable}; lost answers ${stats.transportErrors}; 5xx other than 503: ${stats.serverErrors}`,
  );
  t.diagnostic(
    `verifications ${figures.verifications} (restarts ${figures.restarts}): ${figures.eventsChecked} stored events read, ${figures.ackedItemsChecked} acknowledged items found exactly once`,
  );
  for (const kind of figures.unhandledKinds) t.diagnostic(`500 logged by the server: ${kind}`);
}

function assertClean(campaign: Campaign, extra: string[]): void {
  // Most severe first: lost or duplicated data, then wrong answers.
  assert.deepEqual(
    campaign.figures.problems,
    [],
    "nothing acknowledged was lost, duplicated or corrupted",
  );
  assert.deepEqual(extra, []);
  assert.deepEqual(campaign.stats.violations, [], "every answer was success or the contract's 503");
  assert.deepEqual(campaign.stats.serverErrorSamples, [], "no 5xx other than 503");
  assert.deepEqual(
    campaign.stats.unavailableOffContract,
    [],
    "every 503 is problem JSON with Retry-After",
  );
  assert.equal(campaign.stats.serverErrors, 0);
  assert.equal(campaign.figures.unhandledErrors, 0);
}

describe("storage faults get clear 503s or success, corrupt nothing, and heal without a restart", () => {
  test(
    "SQLite: a data directory that cannot be written refuses the start clearly, and keeps its data readable",
    LIMIT,
    async (t) => {
      const unavailable = isRoot ? await immutableUnavailable() : false;
      if (unavailable) {
        t.skip(unavailable);
        return;
      }
      const lock = async (paths: string[], on: boolean) => {
        if (isRoot) await setImmutable(paths, on);
        else for (const p of paths) chmodSync(p, on ? 0o555 : 0o755);
      };
      const how = isRoot ? "chattr +i (root: chmod would not stop writes)" : "chmod 0555";

      // An empty directory that cannot be written: the start must fail with a message.
      const empty = mkdtempSync(join(tmpdir(), "runline-readonly-"));
      await lock([empty], true);
      let refusal: StartFailed | undefined;
      try {
        const server = await RunlineProcess.start({ env: { RUNLINE_DATA_DIR: empty } });
        await server.stop();
      } catch (error) {
        if (!(error instanceof StartFailed)) throw error;
        refusal = error;
      } finally {
        await lock([empty], false);
        rmSync(empty, { recursive: true, force: true });
      }
      assert.ok(refusal, "a server over a read-only empty directory does not start");
      assert.notEqual(refusal.exit.code, 0);
      assert.match(refusal.stderr, /runline: /, "the failure is explained on stderr");
      t.diagnostic(
        `empty read-only directory (${how}): exit ${refusal.exit.code}: ${refusal.stderr.split("\n")[0]?.slice(0, 200)}`,
      );

      // A directory with data that becomes read-only while stopped.
      const storage = await processStorage("sqlite");
      const dir = storage.env.RUNLINE_DATA_DIR!;
      const files = ["runline.db", "runline.db-wal", "runline.db-shm"].map((f) => join(dir, f));
      const problems: string[] = [];
      try {
        const first = await RunlineProcess.start({ env: storage.env });
        const api = new Api(first.url, PROCESS_KEY);
        const probe = await Probe.create(api);
        await probe.append(api, "before", 10);
        first.kill("SIGTERM");
        assert.equal((await first.exited).code, 0);

        await lock([...files, dir], true);
        let readOnly: RunlineProcess | undefined;
        try {
          readOnly = await RunlineProcess.start({ env: storage.env });
        } catch (error) {
          if (!(error instanceof StartFailed)) throw error;
          assert.notEqual(error.exit.code, 0);
          t.diagnostic(
            `existing data, read-only: refused to start (exit ${error.exit.code}): ${error.stderr.split("\n")[0]?.slice(0, 200)}`,
          );
        }
        if (readOnly) {
          const roApi = new Api(readOnly.url, PROCESS_KEY);
          const read = await roApi.request("GET", `/runs/${probe.runId}/events`);
          if (read.status !== 200) problems.push(`reading while read-only answered ${brief(read)}`);
          const before = probe.refused.length;
          await probe.append(roApi, "readonly", 3);
          const ready = await roApi.request("GET", "/readyz");
          t.diagnostic(
            `existing data, read-only: served; reads ${read.status}, appends ${JSON.stringify(probe.answers)}, /readyz ${ready.status}`,
          );
          if (
            probe.refused.length - before + probe.acked.length < 13 &&
            probe.problems.length === 0
          ) {
            problems.push("appends while read-only were neither stored nor refused with 503");
          }
          await readOnly.stop();
          problems.push(
            ...readOnly.errorLogs.filter((l) => l.includes("unhandled error")).slice(0, 3),
          );
        }
        await lock([...files, dir], false);
        const healed = await RunlineProcess.start({ env: storage.env });
        const healedApi = new Api(healed.url, PROCESS_KEY);
        problems.push(...(await probe.check(healedApi, true)));
        await probe.append(healedApi, "after", 3);
        problems.push(...(await probe.check(healedApi, true)));
        await healed.stop();
        t.diagnostic(
          `probes: ${JSON.stringify(probe.answers)}; acknowledged ${probe.acked.length}, all stored once`,
        );
      } finally {
        await lock([...files, dir], false).catch(() => undefined);
        await storage.dispose();
      }
      assert.deepEqual(problems, []);
    },
  );

  test(
    "SQLite: the data directory turning read-only under load gives 503s, loses nothing, and heals without a restart",
    LIMIT,
    async (t) => {
      const unavailable = await immutableUnavailable();
      if (unavailable) {
        t.skip(unavailable);
        return;
      }
      const seed = SEED + 300;
      const rng = new Rng(seed);
      const storage = await processStorage("sqlite");
      const dir = storage.env.RUNLINE_DATA_DIR!;
      const files = [
        dir,
        // Not the -shm file: SQLite maps it into memory, and a mapped page that cannot be
        // written is a SIGBUS (a fault of the injection, not of a real read-only disk).
        ...["runline.db", "runline.db-wal"].map((f) => join(dir, f)),
      ];
      const campaign = await Campaign.start({
        env: storage.env,
        rng,
        producers: 4,
        retryServerErrors: true,
      });
      const extra: string[] = [];
      const probe = await Probe.create(campaign.api);
      const readyz: number[] = [];
      let faults = 0;
      try {
        campaign.startLoad();
        for (let cycle = 1; cycle <= scaled(3); cycle++) {
          let fault: Promise<void> = Promise.resolve();
          const landed = await campaign.at(rng, rng.int(5, 30), () => {
            fault = setImmutable(files, true);
          });
          if (!landed) break;
          await fault;
          faults++;
          // The load goes on against the read-only directory until someone meets a 503.
          const refused = new Promise<void>((resolve) => {
            campaign.onUnavailable = () => {
              campaign.gate.close();
              campaign.onUnavailable = undefined;
              resolve();
            };
          });
          await Promise.race([refused, runFor(campaign, rng, 200)]);
          campaign.gate.close();
          await campaign.quiesce();
          await probe.append(campaign.api, `readonly-${cycle}`, 3);
          readyz.push((await campaign.api.request("GET", "/readyz")).status);
          await setImmutable(files, false);
          campaign.resume();
          if (!(await runFor(campaign, rng, rng.int(10, 30)))) break;
          if (!(await checkpoint(campaign, `healed after read-only ${cycle}, same process`))) break;
        }
        await campaign.finish();
        extra.push(...(await probe.check(campaign.api, true)));
        await campaign.verify("after the load, same process");
        assert.equal(campaign.figures.restarts, 0, "healed without a restart");
        campaign.server.kill("SIGKILL");
        await campaign.server.exited;
        await campaign.restart();
        await campaign.verify("after a restart");
        extra.push(...(await probe.check(campaign.api, true)));
      } finally {
        campaign.onUnavailable = undefined;
        await setImmutable(files, false).catch(() => undefined);
        await campaign.dispose();
        await storage.dispose();
      }
      report(t, campaign, seed);
      t.diagnostic(
        `read-only faults ${faults}; probes during the faults ${JSON.stringify(probe.answers)}; /readyz during the faults ${JSON.stringify(readyz)}`,
      );
      assertClean(campaign, extra);
    },
  );

  test(
    "SQLite: a full disk under load gives 503s, loses nothing, and heals without a restart",
    LIMIT,
    async (t) => {
      const unavailable = await mountUnavailable();
      if (unavailable) {
        t.skip(unavailable);
        return;
      }
      const seed = SEED + 400;
      const rng = new Rng(seed);
      const fs = await Tmpfs.mount(64);
      const env = { RUNLINE_DATA_DIR: fs.dir, RUNLINE_SQLITE_SYNCHRONOUS: "FULL" };
      const campaign = await Campaign.start({
        env,
        rng,
        producers: 4,
        padding: 4000,
        retryServerErrors: true,
      });
      const extra: string[] = [];
      const probe = await Probe.create(campaign.api);
      let fulls = 0;
      let acksWhileFilling = 0;
      try {
        campaign.startLoad();
        for (let cycle = 1; cycle <= scaled(3); cycle++) {
          if (!(await runFor(campaign, rng, rng.int(3, 20)))) break;
          // Shrink the filesystem to what it holds plus a little (measured while the load
          // waits at the gate, so the size cannot fall below the usage): the load fills the rest.
          campaign.gate.close();
          await campaign.quiesce();
          const stats = statfsSync(fs.dir);
          const usedKiB = Math.ceil(((stats.blocks - stats.bfree) * stats.bsize) / 1024);
          const refused = new Promise<void>((resolve) => {
            campaign.onUnavailable = () => {
              campaign.gate.close();
              campaign.onUnavailable = undefined;
              resolve();
            };
          });
          const acksBefore = campaign.stats.acks;
          await fs.resize(`${usedKiB + rng.int(16, 512)}k`);
          campaign.resume();
          const filled = await Promise.race([
            refused.then(() => true),
            campaign.at(rng, 2000, () => undefined).then(() => false),
          ]);
          acksWhileFilling += campaign.stats.acks - acksBefore;
          if (!filled) {
            extra.push(`cycle ${cycle}: the disk never filled up (or the load stopped)`);
            break;
          }
          fulls++;
          campaign.gate.close();
          await campaign.quiesce();
          await probe.append(campaign.api, `full-${cycle}`, 3);
          await fs.resize("64m");
          campaign.resume();
          if (!(await runFor(campaign, rng, rng.int(10, 30)))) break;
          if (!(await checkpoint(campaign, `healed after disk full ${cycle}, same process`))) break;
        }
        await campaign.finish();
        extra.push(...(await probe.check(campaign.api, false)));
        await campaign.verify("after the load, same process");
        assert.equal(campaign.figures.restarts, 0, "healed without a restart");
        campaign.server.kill("SIGKILL");
        await campaign.server.exited;
        await campaign.restart();
        await campaign.verify("after a restart");
        extra.push(...(await probe.check(campaign.api, false)));
      } finally {
        campaign.onUnavailable = undefined;
        await campaign.dispose();
        await fs.dispose();
      }
      report(t, campaign, seed);
      t.diagnostic(
        `disk-full episodes ${fulls} (operations acknowledged while filling ${acksWhileFilling}); probes on a full disk ${JSON.stringify(probe.answers)}`,
      );
      assertClean(campaign, extra);
      assert.ok(fulls > 0, "the disk did fill up");
    },
  );

  test("PostgreSQL: terminated backends and refused connections give 503s, lose nothing, and heal without a restart; /readyz follows", {
    ...LIMIT,
    skip: postgresSkip(),
  }, async (t) => {
    const seed = SEED + 500;
    const rng = new Rng(seed);
    const base = process.env.TEST_DATABASE_URL!;
    const suffix = randomBytes(5).toString("hex");
    const role = `runline_fault_${suffix}`;
    const schema = `runline_fault_${suffix}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    await admin.query(`CREATE SCHEMA ${schema} AUTHORIZATION ${role}`);
    const url = new URL(base);
    url.username = role;
    url.password = "";
    url.searchParams.set("options", `-c search_path=${schema}`);
    const terminate = async () =>
      Number(
        (
          await admin.query(
            `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity
                WHERE usename = $1 AND application_name = 'runline' AND pid <> pg_backend_pid()`,
            [role],
          )
        ).rows[0]?.n ?? 0,
      );
    let campaign: Campaign | undefined;
    const extra: string[] = [];
    let terminated = 0;
    let terminations = 0;
    const outage: Record<string, string> = {};
    try {
      campaign = await Campaign.start({
        env: { DATABASE_URL: url.toString() },
        rng,
        producers: 6,
        retryServerErrors: true,
      });
      const c = campaign;
      const probe = await Probe.create(c.api);
      c.startLoad();

      // Backends killed at random moments of the load; producers retry the 503s.
      for (let i = 0; i < scaled(6); i++) {
        let killed: Promise<number> = Promise.resolve(0);
        if (
          !(await c.at(rng, rng.int(2, 20), () => {
            killed = terminate();
          }))
        )
          break;
        terminated += await killed;
        terminations++;
      }
      if (!(await runFor(c, rng, 10))) throw new Error("the load stopped");
      await checkpoint(c, "after terminated backends, same process");

      // The database refuses this role's connections for a while.
      let down: Promise<unknown> = Promise.resolve();
      await c.at(rng, rng.int(2, 20), () => {
        c.gate.close();
        down = (async () => {
          await admin.query(`ALTER ROLE ${role} CONNECTION LIMIT 0`);
          await terminate();
        })();
      });
      await down;
      await c.quiesce();
      const readyDown = await c.api.request("GET", "/readyz");
      outage.readyz = `${readyDown.status}${isContractUnavailable(readyDown) ? " unavailable+Retry-After" : ` ${readyDown.text.slice(0, 120)}`}`;
      if (!isContractUnavailable(readyDown))
        extra.push(`/readyz during the outage: ${brief(readyDown)}`);
      const readDown = await c.api.request("GET", `/runs/${probe.runId}`);
      outage.read = String(readDown.status);
      if (readDown.status !== 200 && !isContractUnavailable(readDown)) {
        extra.push(`a read during the outage answered ${brief(readDown)}`);
      }
      await probe.append(c.api, "outage", 3);
      outage.appends = JSON.stringify(probe.answers);
      if (probe.acked.length > 0)
        extra.push("an append succeeded while the database refused connections");

      await admin.query(`ALTER ROLE ${role} CONNECTION LIMIT -1`);
      const readyUp = await c.api.request("GET", "/readyz");
      outage.readyzAfter = String(readyUp.status);
      if (readyUp.status !== 200)
        extra.push(`/readyz once the database is back: ${brief(readyUp)}`);
      c.resume();
      if (!(await runFor(c, rng, rng.int(10, 30))))
        throw new Error("the load stopped after the outage");
      await c.finish();
      await c.verify("after the outage, same process");
      extra.push(...(await probe.check(c.api, true)));
      assert.equal(c.figures.restarts, 0, "healed without a restart");
    } finally {
      await campaign?.dispose();
      await admin.query(`ALTER ROLE ${role} CONNECTION LIMIT -1`).catch(() => undefined);
      await terminate().catch(() => undefined);
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
    if (!campaign) throw new Error("the server did not start");
    report(t, campaign, seed);
    t.diagnostic(
      `backend terminations ${terminations} (${terminated} backends); outage: ${JSON.stringify(outage)}`,
    );
    assertClean(campaign, extra);
  });
});
