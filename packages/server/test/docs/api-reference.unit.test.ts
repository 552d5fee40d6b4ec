/**
 * docs/api.md is the API reference (issue 21): it lists every problem code of the catalogue
 * with its status (and no other), every problem the server builds is in the catalogue, and every
 * code comment that cites "docs/api.md §x" names a section that exists.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { PROBLEM_CODE_LIST, PROBLEM_CODES, ProblemSchema } from "@runline/contract";
import { type ProblemError, Problems } from "../../src/errors.ts";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const API_MD = readFileSync(join(ROOT, "docs/api.md"), "utf8");

/** The rows of §3.3's table: code → status. */
function documentedCodes(): Map<string, number> {
  const start = API_MD.indexOf("### 3.3 ");
  const end = API_MD.indexOf("\n## ", start);
  assert.ok(start > 0 && end > start, "docs/api.md has a §3.3");
  const rows = new Map<string, number>();
  for (const [, code, status] of API_MD.slice(start, end).matchAll(
    /^\| `([a-z_]+)` \| (\d{3}) \|/gm,
  )) {
    rows.set(code!, Number(status));
  }
  return rows;
}

test("every code of the problem catalogue is in docs/api.md §3.3 with its status, and the table lists no other", () => {
  const documented = documentedCodes();
  for (const [code, info] of Object.entries(PROBLEM_CODES)) {
    assert.equal(documented.get(code), info.status, `${code} in docs/api.md §3.3`);
  }
  assert.deepEqual([...documented.keys()].sort(), Object.keys(PROBLEM_CODES).sort());
});

test("every problem the server builds carries a catalogue code with the catalogue's status and title, and fits ProblemSchema", () => {
  // One sample per factory; the `satisfies` makes a factory added later fail to compile here.
  const samples = {
    invalidRequest: () => Problems.invalidRequest("d", [{ path: "body", message: "m" }]),
    invalidEvent: () => Problems.invalidEvent(0, "d"),
    terminalEventNotAllowed: () => Problems.terminalEventNotAllowed(0, "RUN_FINISHED"),
    eventTooLarge: () => Problems.eventTooLarge(0, 240 * 1024),
    cursorConflict: () => Problems.cursorConflict(1, 1),
    runNotAppendable: () => Problems.runNotAppendable(),
    runWaitingForTool: () => Problems.runWaitingForTool(),
    invalidCursor: () => Problems.invalidCursor("d"),
    invalidResponse: () => Problems.invalidResponse([{ path: "values.a", message: "m" }]),
    metadataTooLarge: () => Problems.metadataTooLarge("d", []),
    snapshotTooLarge: () => Problems.snapshotTooLarge("d"),
    requestTimeout: () => Problems.requestTimeout("d"),
    headersTooLarge: () => Problems.headersTooLarge("d"),
    unauthenticated: () => Problems.unauthenticated(),
    forbidden: () => Problems.forbidden("d"),
    notFound: () => Problems.notFound("d"),
    methodNotAllowed: () => Problems.methodNotAllowed("PUT", "/runs", ["GET", "POST"]),
    runAlreadyTerminal: () => Problems.runAlreadyTerminal("d"),
    leaseLost: () => Problems.leaseLost("d"),
    runNotWaiting: () => Problems.runNotWaiting("d"),
    conflict: () => Problems.conflict("d"),
    inputRequestNotOpen: () => Problems.inputRequestNotOpen("submitted"),
    interruptsUnanswered: () => Problems.interruptsUnanswered(["i1"]),
    interruptNotOpen: () => Problems.interruptNotOpen("d"),
    conversationBusy: () => Problems.conversationBusy(["r1"]),
    runQueued: () => Problems.runQueued("r2", "r1"),
    invalidWebhookUrl: () => Problems.invalidWebhookUrl("d"),
    runActive: () => Problems.runActive("d", ["r1"]),
    runDeleted: () => Problems.runDeleted("r1", new Date(0).toISOString()),
    payloadTooLarge: () => Problems.payloadTooLarge("d"),
    unsupportedMediaType: () => Problems.unsupportedMediaType("d"),
    rateLimited: () => Problems.rateLimited(1),
    unavailable: () => Problems.unavailable(),
    inspectorNotBuilt: () => Problems.inspectorNotBuilt(),
    internal: () => Problems.internal(),
  } satisfies Record<keyof typeof Problems, () => ProblemError>;
  const built = Object.values(samples).map((sample) => sample());
  for (const problem of built) {
    const info = PROBLEM_CODES[problem.code];
    assert.ok(info, `${problem.code} is in the catalogue`);
    assert.equal(problem.status, info.status);
    assert.equal(problem.title, info.title);
    const body = {
      type: `urn:runline:problem:${problem.code}`,
      title: problem.title,
      status: problem.status,
      detail: problem.detail,
      code: problem.code,
      request_id: "r",
    };
    assert.ok(ProblemSchema.safeParse(body).success, problem.code);
  }
  assert.deepEqual(ProblemSchema.shape.code.options, PROBLEM_CODE_LIST);
});

/** Every TypeScript source of the workspace's packages (not dependencies, not builds). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === "node_modules" || entry.name === "dist") return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|tsx|mjs)$/.test(entry.name) ? [path] : [];
  });
}

test("every code comment citing docs/api.md §x names a section docs/api.md has", () => {
  const sections = new Set<string>();
  for (const [, number] of API_MD.matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)) sections.add(number!);
  let citations = 0;
  for (const file of sources(join(ROOT, "packages"))) {
    const lines = readFileSync(file, "utf8").split("\n");
    lines.forEach((line, i) => {
      const at = line.indexOf("docs/api.md");
      if (at < 0) return;
      // A citation may wrap: "docs/api.md" at a line's end, "§x" on the next.
      const text = line.slice(at) + (lines[i + 1] ?? "").replace(/^\s*(\*|\/\/)?/, " ");
      const cited = text.match(/^docs\/api\.md[^§]{0,4}((?:§\d+(?:\.\d+)?[^§\n]{0,6})+)/);
      if (!cited) return;
      for (const [, number] of cited[1]!.matchAll(/§(\d+(?:\.\d+)?)/g)) {
        citations++;
        assert.ok(sections.has(number!), `${file}:${i + 1} cites docs/api.md §${number}`);
      }
    });
  }
  assert.ok(citations > 100, `${citations} citations`);
});
