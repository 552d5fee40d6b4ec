/**
 * What `runline` does with mistakes, run as a process: usage mistakes exit 2 with the usage,
 * failures exit 1 with the server's problem detail (or the URL it could not reach), and
 * `--help` works on every command.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { freePort, runline } from "./helpers/cli.ts";
import { useServer } from "./helpers/server.ts";

describe("runline errors and help", () => {
  const suite = useServer();

  test("a bad key exits 1 with the server's problem detail", async () => {
    const { server, env } = suite();
    const badKey = "vf_nobody_0123456789abcdefghij";
    const expected = await server.request("GET", "/runs", undefined, {
      authorization: `Bearer ${badKey}`,
    });
    assert.equal(expected.status, 401);

    const result = await runline(["runs", "ls", "--key", badKey], env);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, "");
    assert.ok(
      result.stderr.includes(`runline: ${expected.body.detail} (HTTP 401 unauthenticated`),
      result.stderr,
    );
    assert.match(result.stderr, /Check --key \/ RUNLINE_API_KEY/);
  });

  test("a run that does not exist exits 1 with the server's not-found detail", async () => {
    const { env } = suite();
    const verbs = ["show", "events", "tail", "cancel"];
    const results = await Promise.all(
      verbs.map((verb) => runline(["runs", verb, "no-such-run"], env)),
    );
    for (const [i, verb] of verbs.entries()) {
      const result = results[i]!;
      assert.equal(result.status, 1, `${verb}: ${result.stderr}`);
      assert.match(result.stderr, /^runline: .*not found.*\(HTTP 404 not_found, request \S+\)$/im);
    }
  });

  test("an unreachable server exits 1 and names the URL it tried", async () => {
    const { env } = suite();
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await runline(["runs", "ls"], { ...env, RUNLINE_URL: url });
    assert.equal(result.status, 1);
    assert.match(result.stderr, new RegExp(`cannot reach ${url}`));
  });

  test("an unknown command exits 2 with the usage", async () => {
    const unknown = await runline(["frobnicate"], {});
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    assert.match(unknown.stderr, /Usage:\n {2}runline serve/);

    const unknownVerb = await runline(["runs", "frobnicate"], {});
    assert.equal(unknownVerb.status, 2);
    assert.match(unknownVerb.stderr, /unknown command "runs frobnicate"/);
    assert.match(unknownVerb.stderr, /runline runs tail <run_id>/);

    const bare = await runline([], {});
    assert.equal(bare.status, 2);
    assert.match(bare.stderr, /Usage:/);
    assert.equal(bare.stdout, "");
  });

  test("unknown options, missing or malformed arguments and missing credentials exit 2 and say what is wrong", async () => {
    const { env } = suite();
    const cases: [string[], Record<string, string>, RegExp][] = [
      [["runs", "ls", "--bogus"], env, /Unknown option '--bogus'/],
      [["runs", "show"], env, /runs show takes <run_id>/],
      [["runs", "show", "a", "b"], env, /runs show takes <run_id> \(unexpected "b"\)/],
      [["runs", "events", "r", "--limit", "ten"], env, /--limit must be an integer of at least 1/],
      [["runs", "tail", "r", "--after", "-1"], env, /--after/],
      [["runs", "ls", "--status", "done"], env, /--status must be one of/],
      [["runs", "create"], env, /--agent <agent_id> is required/],
      [
        ["runs", "create", "--agent", "a", "--metadata", "[1]"],
        env,
        /--metadata must be a JSON object/,
      ],
      [["conversations", "tail"], env, /conversations tail takes <conversation_id>/],
      [["conversations", "tail", "c", "--after", "x"], env, /--after must be an integer/],
      [["runs", "ls", "--url", "ftp://x"], env, /must be http:\/\/ or https:\/\//],
      [["runs", "ls"], { RUNLINE_URL: env.RUNLINE_URL! }, /no credentials: pass --key/],
      [["serve", "now"], {}, /serve takes no arguments/],
      [["keys", "rotate"], {}, /unknown command "keys rotate"/],
    ];
    const results = await Promise.all(cases.map(([args, childEnv]) => runline(args, childEnv)));
    for (const [i, [args, , message]] of cases.entries()) {
      const result = results[i]!;
      assert.equal(result.status, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(" "));
      assert.match(result.stderr, /--help/, `${args.join(" ")} points at the help`);
    }
  });

  test("--help on every command prints its usage and exits 0", async () => {
    const commands = [
      [],
      ["runs"],
      ["runs", "ls"],
      ["runs", "show"],
      ["runs", "events"],
      ["runs", "tail"],
      ["runs", "cancel"],
      ["runs", "create"],
      ["conversations"],
      ["conversations", "tail"],
      ["serve"],
      ["projects"],
      ["keys"],
    ];
    const results = await Promise.all(
      commands.map((command) => runline([...command, "--help"], {})),
    );
    for (const [i, command] of commands.entries()) {
      const result = results[i]!;
      assert.equal(result.status, 0, `${command.join(" ")}: ${result.stderr}`);
      assert.match(result.stdout, /Usage:/, command.join(" "));
      assert.equal(result.stderr, "");
    }
  });
});
