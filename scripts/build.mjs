#!/usr/bin/env node
// Builds every package in dependency order — the root `build` and `prepare` script, so
// `npm ci` (or `npm install`) on a clean clone leaves a runnable server:
//   contract → client → inspector (Vite) → server (+ the inspector copied to dist/ui) → runline CLI
//
// Skips, saying so, when the build tools are not installed (e.g. `npm ci --omit=dev`).
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(join(root, "package.json"));

function binOf(pkg, relative) {
  try {
    return join(dirname(require.resolve(`${pkg}/package.json`)), relative);
  } catch {
    return undefined;
  }
}

const tsdown = binOf("tsdown", "dist/run.mjs");
const vite = binOf("vite", "bin/vite.js");
if (!tsdown || !vite) {
  console.log("build: tsdown or Vite is not installed (dev dependencies omitted?); nothing built.");
  process.exit(0);
}

function run(label, bin, args, cwd) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (result.status !== 0) {
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    console.error(`build: ${label} failed`);
    process.exit(result.status ?? 1);
  }
  console.log(`build: ${label} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

const pkg = (name) => join(root, "packages", name);
run("@runline/contract", tsdown, ["--logLevel", "warn"], pkg("contract"));
run("@runline/client", tsdown, ["--logLevel", "warn"], pkg("client"));
run("inspector UI", vite, ["build", "--logLevel", "warn"], pkg("inspector"));
run("@runline/server", tsdown, ["--logLevel", "warn"], pkg("server"));
const ui = join(pkg("server"), "dist/ui");
rmSync(ui, { recursive: true, force: true });
cpSync(join(pkg("inspector"), "dist"), ui, { recursive: true });
run("runline (CLI)", tsdown, ["--logLevel", "warn"], pkg("cli"));
if (!existsSync(join(pkg("server"), "dist/main.js"))) process.exit(1);
console.log("build: done — `npm start` serves the built server (inspector at /ui)");
