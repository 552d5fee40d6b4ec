/**
 * Keeps the README honest: every `sh` block from "## First start" on runs, in order, in one
 * bash session at the repository's root — the way a reader pastes them — against a fresh server
 * that the README's own first block starts (`npm start &`) on a free port (`PORT`, which the
 * README says to set for another port) with an empty temporary data directory.
 *
 * A block succeeds when every command in it does: the session runs with `pipefail` and an ERR
 * trap, and `curl` is made to fail on HTTP errors (`--fail-with-body`), so a 4xx problem the
 * README would silently print fails the test. A block preceded by
 * `<!-- README test: skip … -->` is not run (e.g. `npm test` itself).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { freePort, SERVER_DIR } from "../reliability/harness/runline-process.ts";

const ROOT = join(SERVER_DIR, "..", "..");
/** Generous: the blocks start the server and run a dozen npm commands on a shared machine. */
const DEADLINE_MS = 300_000;

interface Block {
  line: number;
  code: string;
}

/** The README's runnable blocks: `sh` fences after "## First start", minus the marked ones. */
export function readmeBlocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const start = lines.indexOf("## First start");
  assert.ok(start >= 0, 'the README has a "## First start" section');
  const blocks: Block[] = [];
  for (let i = start; i < lines.length; i++) {
    if (lines[i] !== "```sh") continue;
    const end = lines.indexOf("```", i + 1);
    assert.ok(end > i, `the block at README.md:${i + 1} is closed`);
    const previous = lines
      .slice(0, i)
      .reverse()
      .find((l) => l.trim() !== "");
    if (!previous?.startsWith("<!-- README test: skip")) {
      blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join("\n") });
    }
    i = end;
  }
  return blocks;
}

function hasTools(): string | false {
  for (const tool of ["bash", "curl", "jq"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0)
      return `${tool} is not installed`;
  }
  return false;
}

test("the README's walk-through runs, block by block and in order, against a fresh server", {
  skip: process.env.CI === "true" ? false : hasTools(),
  timeout: DEADLINE_MS,
}, async () => {
  const blocks = readmeBlocks(readFileSync(join(ROOT, "README.md"), "utf8"));
  assert.ok(blocks.length >= 5, `found ${blocks.length} blocks`);
  assert.match(blocks[0]!.code, /npm start &/, "the first block starts the server");

  const script = [
    "set -E -o pipefail",
    // Stricter than the README's `curl -s`: an HTTP error fails the command (body still shown).
    'curl() { command curl --fail-with-body "$@"; }',
    "trap 'echo \"README-TEST-FAILED README.md:$BLOCK_LINE: $BASH_COMMAND (status $?)\"' ERR",
    ...blocks.flatMap((block, i) => [
      `BLOCK_LINE=${block.line}`,
      `echo "README-TEST-BLOCK ${i} README.md:${block.line}"`,
      block.code,
    ]),
    'echo "README-TEST-DONE"',
  ].join("\n");

  const dataDir = mkdtempSync(join(tmpdir(), "runline-readme-"));
  const port = await freePort();
  // A user's shell: no workspace-source condition (`npm start` runs the built server, made by
  // `npm ci` / `npm run build`) and nothing that points elsewhere.
  const {
    PORT: _p,
    DATABASE_URL: _d,
    RUNLINE_URL: _u,
    RUNLINE_API_KEY: _k,
    NODE_OPTIONS: _n,
    ...env
  } = process.env;
  // Its own process group, so the server the README started in the background is stopped too.
  const bash = spawn("bash", ["-c", script], {
    cwd: ROOT,
    detached: true,
    env: {
      ...env,
      PORT: String(port),
      HOST: "127.0.0.1",
      RUNLINE_DATA_DIR: dataDir,
      RUNLINE_LOG_LEVEL: "warn",
      NO_COLOR: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  bash.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  bash.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  const closed = new Promise<void>((resolve) => bash.on("close", () => resolve()));
  // A block that hangs (a server that never answers) must fail the test, not block it.
  const limit = setTimeout(() => process.kill(-bash.pid!, "SIGKILL"), DEADLINE_MS - 20_000);
  const status = await new Promise<number | null>((resolve) => bash.on("exit", resolve));
  clearTimeout(limit);
  try {
    process.kill(-bash.pid!, "SIGTERM");
  } catch {
    // the group is gone already
  }
  await closed; // every process of the group has let go of the output (and of the database)
  rmSync(dataDir, { recursive: true, force: true });

  const failures = output.split("\n").filter((line) => line.startsWith("README-TEST-FAILED"));
  assert.deepEqual(failures, [], output.slice(-6000));
  assert.equal(status, 0, output.slice(-6000));
  for (const [i, block] of blocks.entries()) {
    assert.ok(
      output.includes(`README-TEST-BLOCK ${i} README.md:${block.line}\n`),
      `block ${i} ran`,
    );
  }
  assert.ok(output.includes("README-TEST-DONE\n"), output.slice(-6000));
  // The walk-through's own claims, checked on what it printed.
  assert.match(output, new RegExp(`Runline is listening on 127\\.0\\.0\\.1:${port}\\n`));
  assert.match(
    output,
    /"duplicate": false/,
    "curl output is pretty-printed JSON (one field a line)",
  );
});
