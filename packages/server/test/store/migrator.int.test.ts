/**
 * The one migration runner (`store/migrator.ts`) through each store's driver, on a real SQLite
 * file and a real PostgreSQL schema: migrations apply in order and once; duplicate versions, a
 * gap, a lost applied migration and out-of-order application are refused before anything runs;
 * a failing migration leaves nothing behind.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import {
  type Migration,
  type MigrationDriver,
  MigrationError,
  readMigrations,
  runMigrations,
} from "../../src/store/migrator.ts";
import { postgresMigrationDriver } from "../../src/store/postgres/migrations.ts";
import { sqliteMigrationDriver } from "../../src/store/sqlite/migrate.ts";
import { freshStoreLocation, type StoreKind, storeTargets } from "../helpers/stores.ts";

/** A migration that creates table `t<version>`. */
function creates(version: number, sql = `CREATE TABLE t${version} (id integer)`): Migration {
  return { version, name: `${String(version).padStart(3, "0")}_t${version}.sql`, sql };
}

interface Database_ {
  driver(): MigrationDriver;
  tables(): Promise<string[]>;
  applied(): Promise<number[]>;
  close(): Promise<void>;
}

/** A fresh database of the kind, with a way to open drivers on it and to look inside. */
async function freshDatabase(kind: StoreKind): Promise<Database_> {
  const location = await freshStoreLocation(kind);
  if (kind === "sqlite") {
    const db = new Database(join(location.dataDir!, "runline.db"));
    return {
      driver: () => sqliteMigrationDriver(db),
      tables: async () =>
        db
          .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 't%' ORDER BY name",
          )
          .all()
          .map((r) => (r as { name: string }).name),
      applied: async () =>
        db
          .prepare("SELECT version FROM schema_migrations ORDER BY version")
          .all()
          .map((r) => (r as { version: number }).version),
      close: async () => {
        db.close();
        await location.dispose();
      },
    };
  }
  const clients: pg.Client[] = [];
  const connect = () => {
    const client = new pg.Client({ connectionString: location.databaseUrl! });
    clients.push(client);
    return client;
  };
  const inspector = connect();
  await inspector.connect();
  const pending: Promise<void>[] = [];
  return {
    driver: () => {
      const client = connect();
      pending.push(client.connect().then(() => undefined));
      // The driver's first statement waits for the connection (pg queues queries until then).
      return postgresMigrationDriver(client);
    },
    tables: async () =>
      (
        await inspector.query(
          "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 't%' ORDER BY table_name",
        )
      ).rows.map((r) => r.name as string),
    applied: async () =>
      (await inspector.query("SELECT version FROM schema_migrations ORDER BY version")).rows.map(
        (r) => Number(r.version),
      ),
    close: async () => {
      await Promise.allSettled(pending);
      await Promise.allSettled(clients.map((client) => client.end()));
      await location.dispose();
    },
  };
}

for (const target of storeTargets()) {
  describe(`migration runner [${target.kind}]`, { skip: target.skip }, () => {
    const opened: Database_[] = [];
    const open = async () => {
      const db = await freshDatabase(target.kind);
      opened.push(db);
      return db;
    };
    after(async () => {
      for (const db of opened) await db.close();
    });

    test("applies pending migrations in version order, each once, and records them", async () => {
      const db = await open();
      const first = await runMigrations(db.driver(), [creates(2), creates(1)], []);
      assert.deepEqual(
        first.map((m) => m.version),
        [1, 2],
      );
      const second = await runMigrations(db.driver(), [creates(1), creates(2), creates(3)], []);
      assert.deepEqual(
        second.map((m) => m.version),
        [3],
      );
      assert.deepEqual(
        await runMigrations(db.driver(), [creates(1), creates(2), creates(3)], []),
        [],
      );
      assert.deepEqual(await db.tables(), ["t1", "t2", "t3"]);
      assert.deepEqual(await db.applied(), [1, 2, 3]);
    });

    test("two migrations with one version are refused, naming both, and nothing is applied", async () => {
      const db = await open();
      const twin = { ...creates(2, "CREATE TABLE t2b (id integer)"), name: "002_other.sql" };
      await assert.rejects(
        runMigrations(db.driver(), [creates(1), creates(2), twin], []),
        (error: unknown) =>
          error instanceof MigrationError &&
          /002_t2\.sql and 002_other\.sql share version 2/.test(error.message),
      );
      assert.deepEqual(await db.tables(), []);
      assert.deepEqual(await db.applied(), []);
    });

    test("a gap in the numbering is refused, naming the missing version, and nothing is applied", async () => {
      const db = await open();
      await assert.rejects(
        runMigrations(db.driver(), [creates(1), creates(3)], []),
        (error: unknown) =>
          error instanceof MigrationError && /version 2 is missing/.test(error.message),
      );
      assert.deepEqual(await db.tables(), []);
      // A version declared unused is not a gap.
      await runMigrations(db.driver(), [creates(1), creates(3)], [2]);
      assert.deepEqual(await db.applied(), [1, 3]);
    });

    test("a pending migration older than an applied one is refused (out of order), nothing applied", async () => {
      const db = await open();
      await runMigrations(db.driver(), [creates(1), creates(3)], [2]);
      await assert.rejects(
        runMigrations(db.driver(), [creates(1), creates(2), creates(3), creates(4)], []),
        (error: unknown) =>
          error instanceof MigrationError &&
          /002_t2\.sql is not applied, but the later version 3 is/.test(error.message),
      );
      assert.deepEqual(await db.tables(), ["t1", "t3"]);
      assert.deepEqual(await db.applied(), [1, 3]);
    });

    test("an applied migration the code no longer has is refused; a database ahead of the code is not", async () => {
      const db = await open();
      await runMigrations(db.driver(), [creates(1), creates(2), creates(3)], []);
      await assert.rejects(
        runMigrations(db.driver(), [creates(1), creates(3)], [2]),
        (error: unknown) =>
          error instanceof MigrationError &&
          /has migration 002 applied, which this code does not have/.test(error.message),
      );
      // Older code on a database newer code migrated (a rolling upgrade): nothing to do.
      assert.deepEqual(await runMigrations(db.driver(), [creates(1), creates(2)], []), []);
    });

    test("a failing migration leaves neither its changes nor its record, and the error surfaces", async () => {
      const db = await open();
      const broken = creates(2, "CREATE TABLE t2 (id integer); SELECT * FROM no_such_table");
      await assert.rejects(runMigrations(db.driver(), [creates(1), broken], []));
      assert.deepEqual(await db.tables(), ["t1"]);
      assert.deepEqual(await db.applied(), [1]);
      // Fixed, it applies on the next start.
      await runMigrations(db.driver(), [creates(1), creates(2)], []);
      assert.deepEqual(await db.applied(), [1, 2]);
    });

    // PostgreSQL only: its instances share a database and take turns on the advisory lock. A
    // SQLite file has one server process (the runner keeps SQLite's behaviour: no lock of its own).
    test("migrators starting together take turns: the set is applied once", {
      skip: target.kind === "sqlite" && "SQLite has one migrating process",
    }, async () => {
      const db = await open();
      const set = [creates(1), creates(2), creates(3)];
      const results = await Promise.all([
        runMigrations(db.driver(), set, []),
        runMigrations(db.driver(), set, []),
      ]);
      assert.equal(results.flat().length, 3);
      assert.deepEqual(await db.applied(), [1, 2, 3]);
    });

    test("the store's own migration folder passes every check", async () => {
      const dir = new URL(`../../src/store/${target.kind}/migrations/`, import.meta.url);
      const migrations = await readMigrations(dir);
      assert.ok(migrations.length > 0);
      const db = await open();
      await runMigrations(db.driver(), migrations);
      assert.deepEqual(
        await db.applied(),
        migrations.map((m) => m.version),
      );
    });
  });
}
