/**
 * An API key's last use is recorded — at most once a minute per key (across processes, since
 * the stored time counts too), off the request's path (a failing write fails no request) —
 * and revocation is seen by the very next authentication.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { generateApiKey } from "../../src/auth/api-keys.ts";
import { SCOPES } from "../../src/auth/auth-context.ts";
import { Authenticator } from "../../src/auth/authenticate.ts";
import { ServerTokens } from "../../src/auth/server-tokens.ts";
import type { RunStore } from "../../src/store/types.ts";
import { openTestStore, storeTargets } from "../helpers/stores.ts";

const tokens = new ServerTokens("server-token-secret-for-tests-000000");

interface TestKey {
  id: string;
  key: string;
  prefix: string;
  projectId: string;
}

for (const target of storeTargets()) {
  describe(`API key use [${target.kind}]`, { skip: target.skip }, () => {
    let store: RunStore;
    before(async () => {
      store = await openTestStore(target.kind);
    });
    after(async () => {
      await store.close();
    });

    async function newKey(): Promise<TestKey> {
      const now = new Date().toISOString();
      const projectId = randomUUID();
      const { row, key } = generateApiKey(projectId, null, SCOPES, now);
      await store.transaction(async (tx) => {
        await tx.insertProject({ id: projectId, name: "p", created_at: now });
        await tx.insertApiKey(row);
      });
      return { id: row.id, key, prefix: row.prefix, projectId };
    }

    const lastUsed = async (key: TestKey) =>
      (await store.getApiKeyByPrefix(key.prefix))?.last_used_at ?? null;

    test("the first use records last_used_at; uses within a minute do not write again", async () => {
      const key = await newKey();
      const auth = new Authenticator(store, tokens);
      assert.equal(await lastUsed(key), null);
      await auth.authenticate({ authorization: `Bearer ${key.key}` });
      await auth.settled();
      const first = await lastUsed(key);
      assert.ok(first);
      await auth.authenticate({ "x-api-key": key.key });
      await auth.authenticate({ authorization: `Bearer ${key.key}` });
      await auth.settled();
      assert.equal(await lastUsed(key), first);
      // Another process (a new authenticator) sees the stored time and does not write either.
      const elsewhere = new Authenticator(store, tokens);
      await elsewhere.authenticate({ authorization: `Bearer ${key.key}` });
      await elsewhere.settled();
      assert.equal(await lastUsed(key), first);
    });

    test("a failing last-used write does not fail the request", async () => {
      const key = await newKey();
      const failing: RunStore = Object.create(store, {
        touchApiKey: { value: () => Promise.reject(new Error("disk full")) },
      });
      const auth = new Authenticator(failing, tokens);
      const context = await auth.authenticate({ authorization: `Bearer ${key.key}` });
      assert.equal(context.principal.kind, "api_key");
      await auth.settled();
      assert.equal(await lastUsed(key), null);
    });

    test("a revoked key is refused by the next authentication", async () => {
      const key = await newKey();
      const auth = new Authenticator(store, tokens);
      await auth.authenticate({ authorization: `Bearer ${key.key}` });
      assert.ok(await store.revokeApiKey(key.projectId, key.id, new Date().toISOString()));
      await assert.rejects(auth.authenticate({ authorization: `Bearer ${key.key}` }), {
        status: 401,
      });
      await auth.settled();
    });
  });
}
