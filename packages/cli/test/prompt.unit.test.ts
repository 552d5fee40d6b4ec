/** The terminal prompter: answers read in order, secret answers never echoed back. */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { createPrompter } from "../src/prompt.ts";

test("on a terminal, typed characters are echoed except for a secret answer", async () => {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => {} });
  let shown = "";
  const prompter = createPrompter(input, (text) => {
    shown += text;
  });
  const name = prompter.ask("Name: ");
  input.write("Ada\r");
  assert.equal(await name, "Ada");
  const pin = prompter.ask("PIN: ", { secret: true });
  input.write("9876\r");
  assert.equal(await pin, "9876");
  prompter.close();
  assert.match(shown, /Name: /);
  assert.match(shown, /Ada/, "a plain answer is echoed");
  assert.match(shown, /PIN: /);
  assert.ok(!shown.includes("9876"), `the secret was echoed: ${JSON.stringify(shown)}`);
});

test("answers piped in before the questions are asked are kept, and the end of input is reported", async () => {
  const input = new PassThrough();
  input.end("one\ntwo\n");
  const prompter = createPrompter(input, () => {});
  assert.equal(await prompter.ask("1: "), "one");
  assert.equal(await prompter.ask("2: "), "two");
  assert.equal(await prompter.ask("3: "), undefined);
  prompter.close();
});
