/** The webhook settings (README configuration table): the retry schedule's syntax and defaults. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig } from "../../src/config/config.ts";

test("the retry schedule defaults to about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h; private targets are refused by default", () => {
  const { webhooks } = loadConfig({});
  assert.deepEqual(
    webhooks.retryScheduleMs,
    [5, 300, 1800, 7200, 18_000, 36_000, 50_400].map((s) => s * 1000),
  );
  assert.equal(webhooks.allowPrivate, false);
  assert.equal(webhooks.timeoutMs, 10_000);
  assert.equal(webhooks.deliveryRetentionDays, 30);
});

test("RUNLINE_WEBHOOK_RETRY_SCHEDULE takes ms, s, m and h units (a bare 0 too) and refuses anything else", () => {
  const schedule = (value: string) =>
    loadConfig({ RUNLINE_WEBHOOK_RETRY_SCHEDULE: value }).webhooks.retryScheduleMs;
  assert.deepEqual(schedule("10ms, 2s,3m,1h,0"), [10, 2000, 180_000, 3_600_000, 0]);
  for (const bad of ["5", "5x", "-1s", "1.5s", "5s,,5s", Array(21).fill("1s").join(",")]) {
    assert.throws(
      () => schedule(bad),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((p) => p.startsWith("RUNLINE_WEBHOOK_RETRY_SCHEDULE")),
      bad,
    );
  }
  assert.equal(loadConfig({ RUNLINE_WEBHOOKS_ALLOW_PRIVATE: "true" }).webhooks.allowPrivate, true);
});
