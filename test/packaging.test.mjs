// Packaging: what a user outside this repository gets. Packs the publishable packages
// (@runline/contract, @runline/client, @runline/server, runline), installs the tarballs into a
// fresh project in the system's temp directory, and uses them the way a user would — plain
// Node with no tsx, and a strict TypeScript consumer.
//
// Needs the packages built (`npm ci` / `npm install` build them; else `npm run build`) and the
// npm registry for the packages' own dependencies (npm's cache serves repeat runs).
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const requireFromRoot = createRequire(join(ROOT, "package.json"));
const PACKAGES = ["@runline/contract", "@runline/client", "@runline/server", "runline"];
const BUILT = [
  "packages/contract/dist/index.js",
  "packages/client/dist/index.js",
  "packages/server/dist/main.js",
  "packages/server/dist/ui/index.html",
  "packages/cli/dist/main.js",
];
/** The browser bundle of the core client (minified, gzipped) must stay within this. */
const CLIENT_GZIP_BUDGET_BYTES = 10 * 1024;
const ADMIN_KEY = "vf_pkgtest_0123456789abcdef0123456789";

/** The environment of everything started here: no workspace source condition, no tsx. */
function cleanEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  for (const name of Object.keys(env)) if (name.startsWith("npm_")) delete env[name];
  return env;
}

function sh(command, args, cwd, env = cleanEnv()) {
  return execFileSync(command, args, { cwd, env, encoding: "utf8", stdio: "pipe" });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

let work;
let project;
/** The files each tarball holds, by package name. */
const packed = new Map();

before(() => {
  const missing = BUILT.filter((file) => !existsSync(join(ROOT, file)));
  assert.deepEqual(missing, [], "the packages are not built: run `npm run build` first");
  work = mkdtempSync(join(tmpdir(), "runline-packaging-"));
  project = join(work, "consumer");
  const tarballs = join(work, "tarballs");
  mkdirSync(tarballs);
  mkdirSync(project);
  const report = JSON.parse(
    sh(
      "npm",
      ["pack", "--json", "--pack-destination", tarballs, ...PACKAGES.flatMap((p) => ["-w", p])],
      ROOT,
    ),
  );
  for (const entry of report) packed.set(entry.name, entry);

  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2),
  );
  // Install scripts are skipped: the only one among the dependencies is better-sqlite3's
  // native build, which takes minutes and is not what this test is about. Its binary is
  // taken from the workspace when the versions match, else built.
  sh(
    "npm",
    [
      "install",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      ...report.map((entry) => join(tarballs, entry.filename)),
    ],
    project,
  );
  const sqliteHere = join(project, "node_modules/better-sqlite3");
  const sqliteThere = join(ROOT, "node_modules/better-sqlite3");
  const version = (dir) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version;
  if (version(sqliteHere) === version(sqliteThere)) {
    cpSync(
      join(sqliteThere, "build/Release/better_sqlite3.node"),
      join(sqliteHere, "build/Release/better_sqlite3.node"),
    );
  } else {
    sh("npm", ["rebuild", "better-sqlite3"], project);
  }
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the packed tarballs", () => {
  test("ship built JavaScript and declarations, and no sources or tests", () => {
    for (const name of PACKAGES) {
      const files = packed.get(name)?.files.map((f) => f.path) ?? [];
      assert.ok(files.length > 0, `${name} was packed`);
      assert.deepEqual(
        files.filter(
          (f) =>
            /^(src|test)\//.test(f) ||
            (f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.endsWith(".d.cts")),
        ),
        [],
        `${name} ships no TypeScript sources or tests`,
      );
    }
    const client = packed.get("@runline/client").files.map((f) => f.path);
    for (const file of [
      "dist/index.js",
      "dist/index.cjs",
      "dist/index.d.ts",
      "dist/agui.js",
      "README.md",
    ]) {
      assert.ok(client.includes(file), `@runline/client ships ${file}`);
    }
    const server = packed.get("@runline/server").files.map((f) => f.path);
    assert.ok(server.includes("dist/store/sqlite/migrations/001_runs.sql"), "migrations ship");
    assert.ok(server.includes("dist/ui/index.html"), "the inspector ships inside the server");
  });

  test("the client loads in plain Node as ESM and as CommonJS, without tsx", () => {
    const esm = sh(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        'const m = await import("@runline/client"); console.log(typeof m.RunlineClient)',
      ],
      project,
    );
    assert.equal(esm.trim(), "function");
    const cjs = sh(
      process.execPath,
      ["-e", 'console.log(typeof require("@runline/client").RunlineClient)'],
      project,
    );
    assert.equal(cjs.trim(), "function");
    const contract = sh(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        'const c = await import("@runline/contract"); console.log(c.RunStatusSchema.parse("running"))',
      ],
      project,
    );
    assert.equal(contract.trim(), "running");
  });

  test(`the core client's browser bundle stays within ${CLIENT_GZIP_BUDGET_BYTES / 1024} KB gzipped`, async () => {
    const esbuild = requireFromRoot("esbuild");
    const result = await esbuild.build({
      entryPoints: [join(project, "node_modules/@runline/client/dist/index.js")],
      bundle: true,
      minify: true,
      format: "esm",
      platform: "browser",
      write: false,
      logLevel: "silent",
    });
    const bytes = gzipSync(result.outputFiles[0].contents, { level: 9 }).length;
    assert.ok(bytes <= CLIENT_GZIP_BUDGET_BYTES, `${bytes} bytes gzipped`);
    const text = result.outputFiles[0].text;
    assert.doesNotMatch(
      text,
      /node:|better-sqlite3|fastify|zod/,
      "no server code or zod in the browser bundle",
    );
  });
});

describe("a server started from the installed package", () => {
  let server;
  let baseUrl;
  let output = "";

  before(async () => {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    server = spawn(join(project, "node_modules/.bin/runline"), ["serve"], {
      cwd: project,
      env: cleanEnv({
        PORT: String(port),
        HOST: "127.0.0.1",
        RUNLINE_DATA_DIR: join(work, "data"),
        RUNLINE_BOOTSTRAP_KEY: ADMIN_KEY,
        RUNLINE_LOG_LEVEL: "warn",
      }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    server.stdout.on("data", (chunk) => (output += chunk));
    server.stderr.on("data", (chunk) => (output += chunk));
    const deadline = Date.now() + 30_000;
    for (;;) {
      assert.equal(server.exitCode, null, `runline serve exited early:\n${output}`);
      try {
        if ((await fetch(`${baseUrl}/healthz`)).ok) break;
      } catch {}
      assert.ok(
        Date.now() < deadline,
        `runline serve did not answer /healthz within 30 s:\n${output}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  after(async () => {
    if (!server || server.exitCode !== null) return;
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  });

  test("`runline serve` runs on SQLite with the inspector at /ui and the API docs at /docs", async () => {
    const ui = await fetch(`${baseUrl}/ui/`);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /<div id="root">|<script/);
    const docs = await fetch(`${baseUrl}/openapi.json`);
    assert.equal(docs.status, 200);
    assert.ok(existsSync(join(work, "data")), "the SQLite data directory was created");
  });

  test("a plain .mjs script creates a run, appends, reads the log and follows the stream", () => {
    const script = join(project, "produce-and-follow.mjs");
    writeFileSync(
      script,
      `import { RunlineClient } from "@runline/client";
const client = new RunlineClient({ baseUrl: process.env.RUNLINE_URL, apiKey: process.env.RUNLINE_API_KEY });
const conversationId = crypto.randomUUID();
const { run } = await client.createRun({ kind: "agent", owner: { kind: "conversation", id: conversationId }, request: { agent_id: "pkg-test" } });
const handle = client.run(conversationId, run.run_id);
await handle.append([
  { type: "TEXT_MESSAGE_START", messageId: "m1", role: "assistant" },
  { type: "TEXT_MESSAGE_CONTENT", messageId: "m1", delta: "Hello from a tarball" },
  { type: "TEXT_MESSAGE_END", messageId: "m1" },
]);
const logged = [];
for await (const e of handle.allEvents()) logged.push(e.event_type);
const followed = [];
const following = (async () => { for await (const e of handle.stream()) followed.push(e.event_type); })();
await handle.complete({ status: "completed" });
await following;
console.log(JSON.stringify({ logged, followed }));
`,
    );
    const result = JSON.parse(
      sh(
        process.execPath,
        [script],
        project,
        cleanEnv({ RUNLINE_URL: baseUrl, RUNLINE_API_KEY: ADMIN_KEY }),
      ),
    );
    assert.deepEqual(result.logged.slice(-3), [
      "TEXT_MESSAGE_START",
      "TEXT_MESSAGE_CONTENT",
      "TEXT_MESSAGE_END",
    ]);
    assert.deepEqual(result.followed.slice(-4), [
      "TEXT_MESSAGE_START",
      "TEXT_MESSAGE_CONTENT",
      "TEXT_MESSAGE_END",
      "RUN_FINISHED",
    ]);
  });
});

describe("a strict TypeScript consumer", () => {
  // One `tsc --noEmit` over two files: one uses the packages correctly, one has a deliberate
  // type error. Declarations are checked too (no skipLibCheck), so a missing module shows.
  let errors = "";

  const header = `import { RunlineClient, type AgentRunRecord, type RunSummary } from "@runline/client";
import { CreateRunBody, type ProblemCode } from "@runline/contract";
const client = new RunlineClient({ baseUrl: "http://127.0.0.1:8787", apiKey: "vf_x_0123456789abcdef" });
export async function main(): Promise<void> {
  const { run } = await client.createRun({ kind: "agent", owner: { kind: "conversation", id: crypto.randomUUID() }, request: { agent_id: "a" } });
  const record: AgentRunRecord | RunSummary = run;
  const code: ProblemCode = "event_cursor_conflict";
  void record; void code; void CreateRunBody;
`;

  before(() => {
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          lib: ["es2023", "dom"],
          types: [],
        },
        include: ["good.ts", "bad.ts"],
      }),
    );
    writeFileSync(
      join(project, "good.ts"),
      `${header}  const id: string = run.run_id;\n  void id;\n}\n`,
    );
    writeFileSync(
      join(project, "bad.ts"),
      `${header}  const n: number = run.run_id;\n  void n;\n}\n`,
    );
    try {
      sh(
        process.execPath,
        [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"],
        project,
      );
    } catch (error) {
      errors = `${error.stdout}${error.stderr}`;
    }
  });

  test("type-checks correct use of the client and the contract, declarations included", () => {
    const lines = errors.split("\n").filter((line) => line.includes("error TS"));
    assert.deepEqual(
      lines.filter((line) => !line.startsWith("bad.ts")),
      [],
      "no errors outside the deliberately wrong file",
    );
  });

  test("reports a deliberately wrong line: the types are real, not any", () => {
    assert.match(
      errors,
      /bad\.ts\(\d+,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/,
    );
  });
});
