#!/usr/bin/env node
// Runs a package's tests with Node's built-in runner (TypeScript through tsx).
// Usage, from a package directory: node ../../scripts/run-tests.mjs [substring filter ...]
// Collects every `*.test.ts` under ./test (Node 20's `--test` does not expand globs).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";

const root = process.cwd();
const filters = process.argv.slice(2);

function collect(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return collect(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

const testDir = join(root, "test");
if (!existsSync(testDir) && filters.length === 0) {
  console.log(`${relative(process.cwd(), root) || "."}: no test directory, nothing to run`);
  process.exit(0);
}
const files = collect(testDir)
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
// RUNLINE_TEST_EXCLUDE=<substring>[,…] leaves matching files out, saying so (CI's second Node
// version skips the reliability campaigns, which ran on the first).
const excludes = (process.env.RUNLINE_TEST_EXCLUDE ?? "").split(",").filter(Boolean);
const excluded = files.filter((f) => excludes.some((x) => f.includes(x)));
if (excluded.length > 0) {
  console.log(
    `RUNLINE_TEST_EXCLUDE: leaving out ${excluded.length} test files: ${excluded.join(", ")}`,
  );
  files.splice(0, files.length, ...files.filter((f) => !excluded.includes(f)));
}
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
// Workspace packages resolve to their TypeScript sources (the `runline-source` export
// condition) here and in every process a test starts, so tests never run a stale build.
const nodeOptions = [process.env.NODE_OPTIONS, "--conditions=runline-source"]
  .filter(Boolean)
  .join(" ");
// Test files run two at a time (RUNLINE_TEST_CONCURRENCY): most of a file's time is waiting on
// sockets, child processes and fsync, so on two cores two files overlap well. The reliability
// campaigns (test/reliability/: SIGKILL, SIGTERM under load, storage faults, memory bounds) run
// afterwards one at a time, each with the machine to itself.
const concurrency = Number(process.env.RUNLINE_TEST_CONCURRENCY ?? "2");
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error("RUNLINE_TEST_CONCURRENCY must be a positive integer");
  process.exit(1);
}
const isolated = (f) => f.startsWith(`${join("test", "reliability")}/`);
const batches = [
  { files: files.filter((f) => !isolated(f)), concurrency },
  { files: files.filter(isolated), concurrency: 1 },
].filter((batch) => batch.files.length > 0);
let status = 0;
for (const batch of batches) {
  const result = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "--test",
      "--test-reporter=spec",
      `--test-concurrency=${batch.concurrency}`,
      ...batch.files,
    ],
    { cwd: root, stdio: "inherit", env: { ...process.env, NODE_OPTIONS: nodeOptions } },
  );
  status ||= result.status ?? 1;
}
process.exit(status);
