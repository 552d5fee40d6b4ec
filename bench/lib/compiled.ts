/**
 * A compiled build of the benchmark's server entry (procs/runline-server.ts with Runline's
 * sources), made with esbuild — the compiler tsx itself uses, already installed as its
 * dependency — to compare running TypeScript through tsx with running plain JavaScript.
 * tsx compiles with esbuild's `keepNames`, which wraps every named function and class in a
 * `__name(fn, "…")` call that defines an own `name` property on each function object when it
 * is created; a bundle built without `keepNames` has none of that. npm packages stay external.
 */
import { cpSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ENTRY = fileURLToPath(new URL("../procs/runline-server.ts", import.meta.url));
const SQLITE_MIGRATIONS = fileURLToPath(
  new URL("../../packages/server/src/store/sqlite/migrations/", import.meta.url),
);

/**
 * Builds into `outDir` (inside the server package, so that npm packages resolve from its
 * node_modules) and returns the entry file. The SQLite migrations are copied next to it (the
 * store reads them relative to its own module, now the bundle). SQLite only: the PostgreSQL
 * store's migrations would resolve to the same directory.
 */
export async function buildCompiledServer(outDir: string): Promise<string> {
  // esbuild is tsx's own dependency, not one of ours: loaded only for this comparison.
  const esbuild = (await import("esbuild")) as typeof import("esbuild");
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, "runline-server.mjs");
  await esbuild.build({
    entryPoints: [ENTRY],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outfile,
    logLevel: "error",
  });
  cpSync(SQLITE_MIGRATIONS, join(outDir, "migrations"), { recursive: true });
  return outfile;
}

/** The compiled server build of this bench run (made once, reused by scenarios 6 and 9). */
let built: Promise<string> | undefined;
export function compiledServer(): Promise<string> {
  // Under the server package, so its own dependencies (some live in packages/server/node_modules)
  // resolve as they do for the package.
  built ??= buildCompiledServer(
    fileURLToPath(
      new URL("../../packages/server/node_modules/.cache/runline-bench/", import.meta.url),
    ),
  );
  return built;
}
