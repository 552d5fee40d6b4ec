/**
 * PostgreSQL-only promises of `PostgresStore`, beyond the shared conformance suite: concurrent
 * migrations, failure classification (unavailable vs. bug), verbatim event JSON, and
 * representation details that depend on session settings.
 * Skipped, visibly, without TEST_DATABASE_URL (mandatory under CI=true, like the other suites).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { StoreUnavailableError } from "../../src/store/errors.ts";
import {
  PostgresStore,
  type PostgresStoreOptions,
} from "../../src/store/postgres/postgres-store.ts";
import type { NewEvent } from "../../src/store/types.ts";
import { newRunRow } from "../helpers/fixtures.ts";
import { freshPostgresSchema } from "../helpers/postgres.ts";
import { storeTargets, type TestStoreLocation } from "../helpers/stores.ts";

const target = storeTargets().find((t) => t.kind === "postgres")!;

function openStore(url: string, options: Partial<PostgresStoreOptions> = {}): PostgresStore {
  return new PostgresStore({
    connectionString: url,
    poolSize: 5,
    statementTimeoutMs: 10_000,
    ...options,
  });
}

/** A URL for `location` with extra query parameters (e.g. application_name). */
function withParams(location: TestStoreLocation, params: Record<string, string>): string {
  const url = new URL(location.databaseUrl!);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}

function rawEvent(id: number, json: string, externalSeq: number | null): NewEvent {
  const event = JSON.parse(json);
  return {
    event_id: id,
    event_type: event.type,
    external_seq: externalSeq,
    event,
    json,
    created_at: new Date().toISOString(),
  };
}

describe("PostgresStore specifics", { skip: target.skip }, () => {
  let location: TestStoreLocation;
  let store: PostgresStore;
  let admin: pg.Client;

  before(async () => {
    location = await freshPostgresSchema();
    store = openStore(location.databaseUrl!);
    await store.migrate();
    admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
  });

  after(async () => {
    await admin?.end();
    await store?.close();
    await location?.dispose();
  });

  test("two migrate() calls at once on a fresh schema both succeed and apply each migration once", async () => {
    const fresh = await freshPostgresSchema();
    const a = openStore(fresh.databaseUrl!);
    const b = openStore(fresh.databaseUrl!);
    try {
      await Promise.all([a.migrate(), b.migrate()]);
      await a.ping();
      const schema = new URL(fresh.databaseUrl!).searchParams.get("options")!.split("=")[1]!;
      const { rows } = await admin.query(
        `SELECT version, count(*)::int AS n FROM ${schema}.schema_migrations GROUP BY version`,
      );
      assert.ok(rows.length > 0);
      for (const row of rows) assert.equal(row.n, 1, `migration ${row.version} applied once`);
      const run = await b.transaction((tx) => tx.insertRun(newRunRow()));
      assert.ok(run, "the migrated schema is usable");
    } finally {
      await a.close();
      await b.close();
      await fresh.dispose();
    }
  });

  test("an unreachable server makes ping(), transaction() and migrate() fail fast with StoreUnavailableError", async () => {
    const unreachable = openStore("postgres://postgres@127.0.0.1:1/test");
    try {
      const started = Date.now();
      await assert.rejects(unreachable.ping(), StoreUnavailableError);
      await assert.rejects(
        unreachable.transaction((tx) => tx.firstProjectId()),
        StoreUnavailableError,
      );
      await assert.rejects(unreachable.migrate(), StoreUnavailableError);
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 3_000, `took ${elapsed} ms`);
    } finally {
      await unreachable.close();
    }
  });

  test("the append path's statements are named prepared statements, or plain ones with preparedStatements false; both write the same", async () => {
    const names = async (prepared: boolean) => {
      const own = openStore(location.databaseUrl!, { preparedStatements: prepared });
      const sent: (string | undefined)[] = [];
      const original = pg.Client.prototype.query;
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        const first = args[0];
        if (typeof first === "object" && first !== null && "text" in first) {
          sent.push((first as { name?: string }).name);
        } else if (typeof first === "string") sent.push(undefined);
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof original;
      try {
        const run = (await own.transaction((tx) => tx.insertRun(newRunRow())))!;
        sent.length = 0;
        const read = await own.getRunForAppend(run.project_id, run.run_id, []);
        const written = await own.appendToRun({
          runPk: run.pk,
          expected: read!.run,
          patch: { latest_event_id: 1 },
          events: [rawEvent(1, `{"type":"CUSTOM","name":"n","value":1}`, null)],
          owners: [],
        });
        assert.equal(written?.latest_event_id, 1);
        assert.equal((await own.readEvents(run.pk, 0, 10)).length, 1);
        return sent;
      } finally {
        pg.Client.prototype.query = original;
        await own.close();
      }
    };
    const prepared = await names(true);
    assert.equal(prepared.length, 3, "the read, the write, the log page");
    assert.ok(
      prepared.every((name) => name?.startsWith("runline_")),
      String(prepared),
    );
    const plain = await names(false);
    assert.equal(plain.length, 3);
    assert.ok(
      plain.every((name) => name === undefined),
      String(plain),
    );
  });

  test("event JSON comes back with its original key order", async () => {
    const run = (await store.transaction((tx) => tx.insertRun(newRunRow())))!;
    const custom = `{"type":"CUSTOM","zeta":1,"name":"x","alpha":{"z":[3,{"b":1,"a":2}],"a":"ü"},"value":null}`;
    const result = `{"type":"TOOL_CALL_RESULT","toolCallId":"tc-1","messageId":"m","content":"ok","role":"tool"}`;
    await store.transaction((tx) =>
      tx.insertEvents(run.pk, [rawEvent(1, custom, 1), rawEvent(2, result, null)]),
    );
    const read = await store.readEvents(run.pk, 0, 10);
    assert.deepEqual(
      read.map((e) => JSON.stringify(e.event)),
      [custom, result],
    );
    const external = await store.transaction((tx) =>
      tx.externalEventsAfter(run.pk, { afterEventId: 0 }, 10),
    );
    assert.equal(JSON.stringify(external[0]), custom);
    const found = await store.transaction((tx) => tx.findToolCallResult(run.pk, "tc-1"));
    assert.equal(JSON.stringify(found), result);
  });

  test("a tool result holding a NUL character or an unpaired surrogate does not break tool-result lookups", async () => {
    const run = (await store.transaction((tx) => tx.insertRun(newRunRow())))!;
    const result = (id: number, toolCallId: string, content: string) => {
      const body = { type: "TOOL_CALL_RESULT", toolCallId, messageId: `m${id}`, content };
      return rawEvent(id, JSON.stringify(body), null);
    };
    await store.transaction((tx) =>
      tx.insertEvents(run.pk, [
        result(1, "tc-nul", "before\u0000after"),
        result(2, "tc-lone", "half \ud800 a pair"),
        result(3, "tc-plain", 'mentions "tc-nul" in passing'),
        result(4, 'tc/ü"x', "an id that needs escaping"),
      ]),
    );
    const find = (id: string) => store.transaction((tx) => tx.findToolCallResult(run.pk, id));
    assert.equal((await find("tc-nul"))?.content, "before\u0000after");
    assert.equal((await find("tc-lone"))?.content, "half \ud800 a pair");
    assert.equal((await find("tc-plain"))?.messageId, "m3");
    assert.equal((await find('tc/ü"x'))?.messageId, "m4");
    assert.equal(await find("tc-missing"), undefined);
    const read = await store.readEvents(run.pk, 0, 10);
    assert.equal(read[0]?.event.content, "before\u0000after", "returned verbatim");
  });

  test("numbers and timestamps read back exactly as written, whatever the session's TimeZone and DateStyle", async () => {
    const url = new URL(location.databaseUrl!);
    const options = url.searchParams.get("options")!;
    url.searchParams.set("options", `${options} -c TimeZone=Asia/Kolkata -c DateStyle=SQL,DMY`);
    const skewed = openStore(url.toString());
    try {
      const row = newRunRow({
        created_at: "2026-11-23T15:04:03.123Z",
        lease_expires_at: "2026-12-31T23:59:59.999Z",
        latest_event_id: 2 ** 40,
      });
      const inserted = (await skewed.transaction((tx) => tx.insertRun(row)))!;
      assert.equal(typeof inserted.pk, "number");
      const read = (await store.getRun(row.project_id, row.run_id))!;
      assert.equal(read.created_at, "2026-11-23T15:04:03.123Z");
      assert.equal(read.lease_expires_at, "2026-12-31T23:59:59.999Z");
      assert.equal(read.latest_event_id, 2 ** 40);
      assert.deepEqual(await skewed.getRun(row.project_id, row.run_id), read);
    } finally {
      await skewed.close();
    }
  });

  test("a constraint violation is raised as itself, not as StoreUnavailableError", async () => {
    const run = (await store.transaction((tx) => tx.insertRun(newRunRow())))!;
    const event = rawEvent(1, `{"type":"CUSTOM","name":"a","value":1}`, 1);
    await store.transaction((tx) => tx.insertEvents(run.pk, [event]));
    await assert.rejects(
      store.transaction((tx) => tx.insertEvents(run.pk, [event])),
      (error: unknown) => {
        assert.ok(!(error instanceof StoreUnavailableError), "not disguised as unavailability");
        assert.equal((error as { code?: string }).code, "23505");
        return true;
      },
    );
  });

  test("a transaction whose failed statement was swallowed is not acknowledged: transaction() rejects and nothing is written", async () => {
    const row = newRunRow();
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.insertRun(row);
        // Deliberately ignore a failing statement: PostgreSQL has aborted the transaction.
        await tx.insertEvents(-1, [rawEvent(1, `{"type":"CUSTOM"}`, null)]).catch(() => undefined);
      }),
      (error: unknown) => !(error instanceof StoreUnavailableError) && /COMMIT/.test(String(error)),
    );
    assert.equal(await store.getRun(row.project_id, row.run_id), undefined);
  });

  test("a connection terminated by the server mid-transaction surfaces as StoreUnavailableError, and the store recovers", async () => {
    const applicationName = `runline_test_${process.pid}_${Date.now()}`;
    const victim = openStore(withParams(location, { application_name: applicationName }), {
      poolSize: 1,
      onIdleConnectionError: () => undefined,
    });
    try {
      const row = newRunRow();
      await assert.rejects(
        victim.transaction(async (tx) => {
          await tx.insertRun(row);
          await admin.query(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = $1",
            [applicationName],
          );
          await tx.firstProjectId();
        }),
        StoreUnavailableError,
      );
      await victim.ping();
      assert.equal(await victim.getRun(row.project_id, row.run_id), undefined);
    } finally {
      await victim.close();
    }
  });
});
