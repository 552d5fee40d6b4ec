/** The cache of verified API keys never outlives a revocation it could have heard of. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiKeyCache, TTL_MS } from "../../src/auth/api-key-cache.ts";
import type { ApiKeyRow } from "../../src/store/types.ts";

const row = (overrides: Partial<ApiKeyRow> = {}): ApiKeyRow => ({
  id: "key-1",
  project_id: "p",
  name: null,
  prefix: "abc",
  secret_hash: "00",
  scopes: [],
  created_at: "2030-01-01T00:00:00.000Z",
  revoked_at: null,
  last_used_at: null,
  ...overrides,
});

test("a cached key is served until its TTL, then read again", () => {
  let now = 1_000;
  const cache = new ApiKeyCache(() => now);
  cache.set(row(), cache.ticket());
  assert.equal(cache.get("abc")?.id, "key-1");
  now += TTL_MS - 1;
  assert.ok(cache.get("abc"));
  now += 1;
  assert.equal(cache.get("abc"), undefined);
});

test("forget drops the revoked key at once", () => {
  const cache = new ApiKeyCache();
  cache.set(row(), cache.ticket());
  cache.set(row({ id: "key-2", prefix: "def" }), cache.ticket());
  cache.forget("key-1");
  assert.equal(cache.get("abc"), undefined);
  assert.ok(cache.get("def"), "other keys stay cached");
});

test("a lookup that started before a revocation does not cache the row it read", () => {
  const cache = new ApiKeyCache();
  const ticket = cache.ticket();
  cache.forget("key-1"); // the revocation lands while the lookup is in flight
  cache.set(row(), ticket);
  assert.equal(cache.get("abc"), undefined);
});

test("revoked rows are never cached, and nothing is cached while suspended", () => {
  const cache = new ApiKeyCache();
  cache.set(row({ revoked_at: "2030-01-01T00:00:00.000Z" }), cache.ticket());
  assert.equal(cache.get("abc"), undefined);
  cache.set(row(), cache.ticket());
  cache.suspend();
  assert.equal(cache.get("abc"), undefined, "suspending drops what was cached");
  cache.set(row(), cache.ticket());
  assert.equal(cache.get("abc"), undefined);
  cache.resume();
  cache.set(row(), cache.ticket());
  assert.ok(cache.get("abc"));
});

test("a commit by another process (SQLite data_version) empties the cache", () => {
  let external = 1;
  const cache = new ApiKeyCache(Date.now, () => external);
  assert.equal(cache.get("abc"), undefined);
  cache.set(row(), cache.ticket());
  assert.ok(cache.get("abc"));
  external = 2; // e.g. `runline keys revoke` on the same file
  assert.equal(cache.get("abc"), undefined);
  const ticket = cache.ticket();
  external = 3;
  assert.equal(cache.get("def"), undefined);
  cache.set(row(), ticket);
  assert.equal(cache.get("abc"), undefined, "a lookup that straddled it caches nothing");
});
