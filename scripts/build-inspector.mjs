#!/usr/bin/env node
// Builds the web inspector (packages/inspector → packages/inspector/dist), which the server
// serves at /ui. Meant as the root `prepare` script, so `npm ci && npm start` on a clean clone
// has the UI built (the build takes about a second).
//
// Skips, saying so, when Vite is not installed (e.g. `npm ci --omit=dev`): the server then
// answers /ui with a 503 problem that says how to build it, and everything else works.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const inspectorDir = fileURLToPath(new URL("../packages/inspector/", import.meta.url));
const require = createRequire(join(inspectorDir, "package.json"));

let viteBin;
try {
  viteBin = join(dirname(require.resolve("vite/package.json")), "bin/vite.js");
} catch {
  console.log("inspector: Vite is not installed (dev dependencies omitted?); /ui stays unbuilt.");
  process.exit(0);
}

const result = spawnSync(process.execPath, [viteBin, "build", "--logLevel", "warn"], {
  cwd: inspectorDir,
  stdio: "inherit",
});
if (result.status === 0) console.log("inspector: built packages/inspector/dist (served at /ui)");
process.exit(result.status ?? 1);
