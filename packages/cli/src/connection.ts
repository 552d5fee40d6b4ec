/**
 * The `runs` commands talk to a server over HTTP with `@runline/client`. This file turns
 * `--url` / `RUNLINE_URL` and `--key` / `RUNLINE_API_KEY` into a `RunlineClient`, finds a run's
 * conversation (run-scoped routes are addressed through it), and turns what the client throws
 * into one clear line on stderr and an exit status.
 */
import { RunlineClient, RunlineConnectionError, RunlineError } from "@runline/client";
import { type Parsed, stringOption, UsageError } from "./args.ts";
import { EXIT, Interrupted, type Io } from "./io.ts";

export const DEFAULT_URL = "http://127.0.0.1:8787";

export interface Connection {
  client: RunlineClient;
  url: string;
}

/** The client for `--url`/`--key` (falling back to the environment); usage errors if unusable. */
export function connect(parsed: Parsed, env: NodeJS.ProcessEnv): Connection {
  const url = stringOption(parsed, "url") ?? nonEmpty(env.RUNLINE_URL) ?? DEFAULT_URL;
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    throw new UsageError(`--url / RUNLINE_URL is not a URL: "${url}"`);
  }
  if (parsedUrl.protocol !== "http:" && parsedUrl.protocol !== "https:") {
    throw new UsageError(`--url / RUNLINE_URL must be http:// or https://, got "${url}"`);
  }
  const key = stringOption(parsed, "key") ?? nonEmpty(env.RUNLINE_API_KEY);
  if (key === undefined) {
    throw new UsageError("no credentials: pass --key <api key> or set RUNLINE_API_KEY");
  }
  // `--key` takes an API key or any other bearer token (a JWT): both go out as
  // `Authorization: Bearer`, so `apiKey` serves for either.
  return { client: new RunlineClient({ baseUrl: url, apiKey: key }), url };
}

/** Where a run lives: run-scoped routes need its conversation id. */
export async function conversationOf(
  client: RunlineClient,
  runId: string,
  options: { signal: AbortSignal },
): Promise<string> {
  const summary = await client.getRun(runId, options);
  return summary.owner.id;
}

/** Writes what went wrong to stderr; returns the exit status. */
export function reportFailure(error: unknown, io: Io, url: string): number {
  if (error instanceof Interrupted) return EXIT.interrupted;
  if (error instanceof RunlineError) {
    const request = error.requestId ? `, request ${error.requestId}` : "";
    io.err(`runline: ${error.detail} (HTTP ${error.status} ${error.code}${request})\n`);
    if (error.status === 401) io.err("Check --key / RUNLINE_API_KEY.\n");
    if (error.status === 403) io.err("The key lacks the scope this command needs.\n");
    for (const issue of error.issues) io.err(`  ${issue.path}: ${issue.message}\n`);
    return EXIT.failure;
  }
  if (error instanceof RunlineConnectionError) {
    io.err(`runline: cannot reach ${url}: ${error.message}\n`);
    io.err("Is the server running? Point --url or RUNLINE_URL at it.\n");
    return EXIT.failure;
  }
  io.err(`runline: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT.failure;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
