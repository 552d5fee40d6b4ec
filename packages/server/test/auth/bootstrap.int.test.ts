/**
 * RUNLINE_BOOTSTRAP_KEY on a database that already has a project (docs/api.md §12, issue 16
 * finding 10): never taken silently. The server logs a warning naming the prefix (never the
 * secret) and what it did. On every store, through real server starts on one database.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, test } from "node:test";
import { loadConfig } from "../../src/config/config.ts";
import { createServer } from "../../src/server.ts";
import { freshStoreLocation, storeTargets, type TestStoreLocation } from "../helpers/stores.ts";

const FIRST = "vf_bootone_0123456789abcdefghijklmnop";
const SECOND = "vf_boottwo_0123456789abcdefghijklmnop";
const SAME_PREFIX = "vf_bootone_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZ";

/** Starts a server on `location` with `key`, collects its warnings, answers whoami per key, stops. */
async function startWith(location: TestStoreLocation, key: string, probe: string[]) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const config = loadConfig({
    RUNLINE_BOOTSTRAP_KEY: key,
    RUNLINE_SQLITE_SYNCHRONOUS: "NORMAL",
    ...(location.dataDir && { RUNLINE_DATA_DIR: location.dataDir }),
    ...(location.databaseUrl && { DATABASE_URL: location.databaseUrl }),
  });
  const server = await createServer(config, { logger: { level: "warn", stream } });
  const statuses: number[] = [];
  try {
    for (const candidate of probe) {
      const response = await server.app.inject({
        method: "GET",
        url: "/api-keys",
        headers: { authorization: `Bearer ${candidate}` },
      });
      statuses.push(response.statusCode);
    }
  } finally {
    await server.close();
  }
  const warnings = lines.map((line) => JSON.parse(line) as { level: number; msg: string });
  return {
    warning: server.bootstrapWarning,
    logged: warnings.filter((w) => w.level === 40),
    statuses,
  };
}

describe("a bootstrap key on a later start is never taken silently", () => {
  for (const target of storeTargets()) {
    test(`same key: nothing; new prefix: added with a warning; known prefix with another secret: ignored with a warning [${target.kind}]`, {
      skip: target.skip,
    }, async () => {
      const location = await freshStoreLocation(target.kind);
      try {
        const first = await startWith(location, FIRST, [FIRST]);
        assert.equal(first.warning, undefined, "an empty database: created, nothing to warn");
        assert.deepEqual(first.statuses, [200]);

        const again = await startWith(location, FIRST, [FIRST]);
        assert.equal(again.warning, undefined, "the same key again is a no-op");
        assert.deepEqual(again.logged, []);

        const added = await startWith(location, SECOND, [FIRST, SECOND]);
        assert.match(added.warning ?? "", /new prefix boottwo: added it as an admin key/);
        assert.equal(added.logged.length, 1, "logged as a warning");
        assert.equal(added.logged[0]?.msg, added.warning);
        assert.deepEqual(added.statuses, [200, 200], "both keys work");

        const clash = await startWith(location, SAME_PREFIX, [FIRST, SAME_PREFIX]);
        assert.match(clash.warning ?? "", /prefix bootone.*another secret: ignored/);
        assert.equal(clash.logged.length, 1);
        assert.ok(!JSON.stringify(clash.logged).includes("ZZZZ"), "the secret is never logged");
        assert.deepEqual(clash.statuses, [200, 401], "the stored key is unchanged");
      } finally {
        await location.dispose();
      }
    });
  }
});
