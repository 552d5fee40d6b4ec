/**
 * The `runline` command's logic: projects and API keys, written straight into the configured
 * store (the same environment variables as the server: `DATABASE_URL` or `RUNLINE_DATA_DIR`).
 * `runCli` takes its arguments, output and environment as parameters so tests run it
 * in-process; `runline.ts` is the thin process entry.
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  createApiKey,
  isForeignKeyViolation,
  listApiKeys,
  revokeApiKey,
} from "../auth/api-key-admin.ts";
import { generateApiKey } from "../auth/api-keys.ts";
import { isScope, SCOPES, type Scope } from "../auth/auth-context.ts";
import { type Config, ConfigError, loadConfig } from "../config/config.ts";
import { newUuid } from "../domain/ids.ts";
import { ProblemError } from "../errors.ts";
import { openStore, sqliteFile } from "../store/open-store.ts";
import type { RunStore } from "../store/types.ts";

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const USAGE = `runline — manage a Runline server's projects and API keys

Usage:
  runline projects create <name> [--json]
      Creates a project and its admin API key; prints the project id and the key (only once).
      Project names are unique: a second "acme" is refused.
  runline projects list [--json]
      Lists the projects, oldest first (the first is the one the server created).
  runline keys create [--project <id>] [--name <name>] [--scopes <s1,s2,…>] [--json]
      Creates an API key; scopes default to all but admin. Prints the key (only once).
  runline keys list [--project <id>] [--json]
      Lists a project's keys (revoked ones too). Never shows a secret.
  runline keys revoke <key-id> [--project <id>]
      Revokes a key; effective on the server's next request.
  runline --help

--project defaults to the first project (the one created on the server's first start).
Scopes: ${SCOPES.join(", ")}.

The store is the server's: DATABASE_URL (PostgreSQL) when set, else SQLite in RUNLINE_DATA_DIR
(default ./data). It must exist: the server creates it on its first start. Exit status: 0 done,
1 failed, 2 usage or configuration error.
`;

class UsageError extends Error {}

/** The configured SQLite database does not exist (a configuration error: exit status 2). */
class MissingDatabaseError extends Error {}

/** Runs one command; resolves to the process exit status. */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`runline: ${(error as Error).message}\nRun "runline --help" for usage.\n`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(USAGE);
    return 0;
  }
  if (parsed.positionals.length === 0) {
    io.err(USAGE);
    return 2;
  }
  let store: RunStore | undefined;
  try {
    const command = resolveCommand(parsed);
    const config = loadConfig(env);
    requireExistingDatabase(config);
    store = await openStore(config);
    await store.migrate();
    await command(store, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      io.err(`runline: ${error.message}\nRun "runline --help" for usage.\n`);
      return 2;
    }
    if (error instanceof MissingDatabaseError) {
      io.err(`runline: ${error.message}\n`);
      return 2;
    }
    const message =
      error instanceof ProblemError ? error.detail : (error as Error).message || String(error);
    io.err(`runline: ${message}\n`);
    return 1;
  } finally {
    await store?.close();
  }
}

/**
 * A mistyped RUNLINE_DATA_DIR (or the wrong working directory for the default ./data) would
 * otherwise create an empty database there and answer from it as if all were well: commands
 * act only on a database that exists (the server creates it on its first start).
 */
function requireExistingDatabase(config: Config): void {
  if (config.databaseUrl || existsSync(sqliteFile(config))) return;
  throw new MissingDatabaseError(
    `no Runline database at ${sqliteFile(config)}: check RUNLINE_DATA_DIR ` +
      `(${config.dataDir === "./data" ? "not set, so ./data of the current directory" : `"${config.dataDir}"`}), ` +
      "or start the server once with it to create the database",
  );
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: "boolean", short: "h" },
      json: { type: "boolean" },
      project: { type: "string" },
      name: { type: "string" },
      scopes: { type: "string" },
    },
  });
}

type Command = (store: RunStore, io: CliIo) => Promise<void>;

function resolveCommand({ values, positionals }: ReturnType<typeof parse>): Command {
  const [noun, verb, ...rest] = positionals;
  const json = values.json === true;
  const expectArgs = (count: number, what: string) => {
    if (rest.length !== count) throw new UsageError(`${noun} ${verb} takes ${what}`);
  };
  if (noun === "projects" && verb === "create") {
    expectArgs(1, "exactly one argument: the project name");
    return (store, io) => createProject(store, io, rest[0]!, json);
  }
  if (noun === "projects" && verb === "list") {
    expectArgs(0, "no arguments besides its options");
    return (store, io) => listProjects(store, io, json);
  }
  if (noun === "keys" && verb === "create") {
    expectArgs(0, "no arguments besides its options");
    const scopes = values.scopes === undefined ? undefined : parseScopes(values.scopes);
    return (store, io) => createKey(store, io, values.project, values.name, scopes, json);
  }
  if (noun === "keys" && verb === "list") {
    expectArgs(0, "no arguments besides its options");
    return (store, io) => listKeys(store, io, values.project, json);
  }
  if (noun === "keys" && verb === "revoke") {
    expectArgs(1, "exactly one argument: the key id");
    return (store, io) => revokeKey(store, io, values.project, rest[0]!);
  }
  throw new UsageError(`unknown command "${positionals.join(" ")}"`);
}

function parseScopes(text: string): Scope[] {
  const names = text.split(/[\s,]+/).filter((s) => s !== "");
  const unknown = names.filter((s) => !isScope(s));
  if (unknown.length > 0) {
    throw new UsageError(`unknown scope ${unknown.join(", ")} (known: ${SCOPES.join(", ")})`);
  }
  if (names.length === 0) throw new UsageError("--scopes must name at least one scope");
  return names.filter(isScope);
}

async function createProject(store: RunStore, io: CliIo, name: string, json: boolean) {
  if (name.trim() === "" || name.length > 200) {
    throw new UsageError("the project name must be 1-200 characters");
  }
  const now = new Date().toISOString();
  const projectId = newUuid();
  const { row, key } = generateApiKey(projectId, "admin", SCOPES, now);
  await store.transaction(async (tx) => {
    // Names are how people tell projects apart; the bootstrap lock serialises two creators.
    await tx.lockBootstrap();
    const same = (await tx.listProjects()).find((p) => p.name === name.trim());
    if (same) {
      throw new Error(
        `a project named "${same.name}" exists already (id ${same.id}); ` +
          `use --project ${same.id} with keys commands, or choose another name`,
      );
    }
    await tx.insertProject({ id: projectId, name: name.trim(), created_at: now });
    await tx.insertApiKey(row);
  });
  if (json) {
    io.out(`${JSON.stringify({ project_id: projectId, key_id: row.id, key })}\n`);
    return;
  }
  io.out(
    `Created project ${projectId} (${name.trim()}).\n` +
      `Its admin API key (key id ${row.id}) is shown only this once:\n\n  ${key}\n\n`,
  );
}

async function listProjects(store: RunStore, io: CliIo, json: boolean) {
  const projects = await store.transaction((tx) => tx.listProjects());
  if (json) {
    io.out(`${JSON.stringify({ data: projects })}\n`);
    return;
  }
  if (projects.length === 0) {
    io.out("No projects yet: run `runline projects create <name>`.\n");
    return;
  }
  io.out(
    table(
      ["ID", "NAME", "CREATED"],
      projects.map((p) => [p.id, p.name, p.created_at]),
    ),
  );
}

async function createKey(
  store: RunStore,
  io: CliIo,
  project: string | undefined,
  name: string | undefined,
  scopes: Scope[] | undefined,
  json: boolean,
) {
  const projectId = await resolveProject(store, project);
  let created: Awaited<ReturnType<typeof createApiKey>>;
  try {
    const now = new Date().toISOString();
    created = await createApiKey(store, projectId, { name, scopes }, now, "fail");
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new Error(`no project ${projectId}`);
    throw error;
  }
  const { record, key } = created;
  if (json) {
    io.out(`${JSON.stringify({ project_id: projectId, ...record, key })}\n`);
    return;
  }
  io.out(
    `Created API key ${record.id} in project ${projectId} with scopes ${record.scopes.join(", ")}.\n` +
      `The key is shown only this once:\n\n  ${key}\n\n`,
  );
}

async function listKeys(store: RunStore, io: CliIo, project: string | undefined, json: boolean) {
  const projectId = await resolveProject(store, project);
  const keys = await listApiKeys(store, projectId);
  if (json) {
    io.out(`${JSON.stringify({ project_id: projectId, data: keys })}\n`);
    return;
  }
  io.out(`API keys of project ${projectId}:\n`);
  const rows = keys.map((k) => [
    k.id,
    k.name ?? "-",
    k.prefix,
    k.scopes.join(","),
    k.created_at,
    k.last_used_at ?? "never",
    k.revoked_at ? `revoked ${k.revoked_at}` : "active",
  ]);
  io.out(table(["ID", "NAME", "PREFIX", "SCOPES", "CREATED", "LAST USED", "STATE"], rows));
}

async function revokeKey(store: RunStore, io: CliIo, project: string | undefined, keyId: string) {
  const projectId = await resolveProject(store, project);
  await revokeApiKey(store, projectId, keyId, new Date().toISOString());
  io.out(`Revoked API key ${keyId} of project ${projectId}.\n`);
}

async function resolveProject(store: RunStore, project: string | undefined): Promise<string> {
  if (project !== undefined) {
    if (project.trim() === "") throw new UsageError("--project must not be empty");
    return project;
  }
  const first = await store.transaction((tx) => tx.firstProjectId());
  if (!first) throw new Error("the store has no project yet: run `runline projects create <name>`");
  return first;
}

function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all
    .map(
      (r) =>
        `${r
          .map((c, i) => c.padEnd(widths[i]!))
          .join("  ")
          .trimEnd()}\n`,
    )
    .join("");
}
