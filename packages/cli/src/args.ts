/**
 * Command-line parsing shared by the commands: `node:util` `parseArgs` in strict mode (an
 * unknown option is a usage error), the connection options every `runs` command takes, and
 * checked integer options. Usage mistakes throw `UsageError` (exit status 2).
 */
import { type ParseArgsConfig, parseArgs } from "node:util";

/** The command line is wrong: the message says how; the exit status is 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Options every `runs` command accepts. */
export const CONNECTION_OPTIONS = {
  url: { type: "string" },
  key: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parses `argv` against `options` (strict); a parse failure becomes a `UsageError`. */
export function parse(argv: readonly string[], options: Options): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options,
      allowPositionals: true,
      strict: true,
    });
    // parseArgs types `values` from the literal config; ours is only known as `Options` here,
    // and no option is declared `multiple`, so each value is a string or a boolean.
    return { values: values as Parsed["values"], positionals };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** A string option's value (undefined when absent); an empty value is a usage error. */
export function stringOption(parsed: Parsed, name: string): string | undefined {
  const value = parsed.values[name];
  if (value === undefined || typeof value === "boolean") return undefined;
  if (value.trim() === "") throw new UsageError(`--${name} must not be empty`);
  return value;
}

/** An integer option ≥ `min` (undefined when absent). */
export function intOption(parsed: Parsed, name: string, min: number): number | undefined {
  const text = stringOption(parsed, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`--${name} must be an integer of at least ${min}, got "${text}"`);
  }
  return Number(text);
}

/** Exactly the named positional arguments, in order. */
export function expectPositionals(command: string, given: string[], names: string[]): string[] {
  if (given.length !== names.length) {
    const wanted = names.length === 0 ? "no arguments" : names.map((name) => `<${name}>`).join(" ");
    const extra = given.length > names.length ? ` (unexpected "${given.at(-1)}")` : "";
    throw new UsageError(`${command} takes ${wanted}${extra}`);
  }
  return given;
}
