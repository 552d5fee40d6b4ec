/** Field-by-field checks of an answer (docs/api.md §7), without a server. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { InputFieldSchema } from "@runline/contract";
import { ProblemError } from "../../src/errors.ts";
import { matchesPattern, validateResponse } from "../../src/human-input/validate-response.ts";

const fields = (raw: unknown[]) => raw.map((f) => InputFieldSchema.parse(f));

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ProblemError);
    assert.equal(error.code, "invalid_response");
    return error.extensions.issues as { path: string; message: string }[];
  }
  assert.fail("expected invalid_response");
}

test("number fields take numbers and decimal numeric strings, within min and max", () => {
  const f = fields([{ type: "number", name: "n", label: "N", min: 0, max: 10 }]);
  assert.deepEqual(validateResponse(f, { n: "2.5" }), { n: 2.5 });
  assert.deepEqual(validateResponse(f, { n: 10 }), { n: 10 });
  for (const bad of ["0x5", " 5", "Infinity", "five", 11, -1, true]) {
    assert.equal(issuesOf(() => validateResponse(f, { n: bad })).length, 1, String(bad));
  }
});

test("an optional field may be absent, null or empty; a required one may not", () => {
  const f = fields([
    { type: "text", name: "a", label: "A" },
    { type: "text", name: "b", label: "B", required: true },
  ]);
  assert.deepEqual(validateResponse(f, { a: null, b: "x" }), { a: null, b: "x" });
  assert.deepEqual(validateResponse(f, { b: "x" }), { b: "x" });
  assert.deepEqual(
    issuesOf(() => validateResponse(f, { b: "" })).map((i) => i.path),
    ["values.b"],
  );
});

test("length counts characters, not UTF-16 units", () => {
  const f = fields([{ type: "text", name: "t", label: "T", maxLength: 2 }]);
  assert.deepEqual(validateResponse(f, { t: "😀😀" }), { t: "😀😀" });
  assert.equal(issuesOf(() => validateResponse(f, { t: "😀😀😀" })).length, 1);
});

test("patterns are JavaScript regular expressions; a runaway one is cut off, not waited for", () => {
  assert.equal(matchesPattern("^[a-z]+$", "abc"), true);
  assert.equal(matchesPattern("^[a-z]+$", "ab1"), false);
  assert.equal(matchesPattern("^(a+)+$", `${"a".repeat(40)}!`), undefined);
});

test("field defaults are filled in and optional keys that were not given are left out", () => {
  const [confirm, textarea, checkbox] = fields([
    { type: "confirm", name: "c", label: "C", description: null },
    { type: "textarea", name: "t", label: "T", placeholder: null },
    { type: "checkbox", name: "x", label: "X" },
  ]);
  assert.deepEqual(JSON.parse(JSON.stringify(confirm)), {
    type: "confirm",
    name: "c",
    label: "C",
    required: false,
    secret: false,
    confirmLabel: "Yes",
    denyLabel: "No",
  });
  assert.equal((textarea as { rows: number }).rows, 3);
  assert.ok(!("placeholder" in JSON.parse(JSON.stringify(textarea))));
  assert.equal((checkbox as { defaultValue: boolean }).defaultValue, false);
});
