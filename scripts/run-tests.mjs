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
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
// Workspace packages resolve to their TypeScript sources (the `runline-source` export
// condition) here and in every process a test starts, so tests never run a stale build.
const nodeOptions = [process.env.NODE_OPTIONS, "--conditions=runline-source"]
  .filter(Boolean)
  .join(" ");
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-reporter=spec", ...files],
  { cwd: root, stdio: "inherit", env: { ...process.env, NODE_OPTIONS: nodeOptions } },
);
process.exit(result.status ?? 1);
