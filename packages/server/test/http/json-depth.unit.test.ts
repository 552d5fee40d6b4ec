/** The nesting guard on request bodies. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { nestsDeeperThan } from "../../src/http/json-depth.ts";

test("nesting is measured over arrays and objects, not over brackets inside strings", () => {
  assert.equal(nestsDeeperThan('{"a":[[1]]}', 3), false);
  assert.equal(nestsDeeperThan('{"a":[[[1]]]}', 3), true);
  assert.equal(nestsDeeperThan(`{"s":"${"[".repeat(50)}"}`, 2), false);
  assert.equal(
    nestsDeeperThan(`{"s":"\\"[[[[","t":1}`, 2),
    false,
    "escaped quotes stay in the string",
  );
  assert.equal(nestsDeeperThan("[".repeat(10) + "]".repeat(10), 10), false);
  assert.equal(nestsDeeperThan("[".repeat(11) + "]".repeat(11), 10), true);
});
