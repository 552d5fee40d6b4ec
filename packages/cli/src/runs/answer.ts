/**
 * `runline runs answer <conversation_id> <input_request_id>`: answers an input request from the
 * terminal, asking field by field (secret fields are not echoed). The server checks the
 * answer; the fields it refuses are asked again with its message, until it is accepted.
 */
import {
  type InputField,
  type InputRequest,
  type InputValues,
  RunlineError,
} from "@runline/client";
import { UsageError } from "../args.ts";
import { createPrompter, type Prompter } from "../prompt.ts";
import { CONNECTION_HELP, type RunsCommand } from "./command.ts";

type Value = InputValues[string];

export const answer: RunsCommand = {
  name: "answer",
  summary: "runs answer <conversation_id> <input_request_id> [--values <json>]",
  help: `runline runs answer — answer an input request (human in the loop)

Usage:
  runline runs answer <conversation_id> <input_request_id> [--values <json>] [--json]

Shows the request and asks for each field in turn: [default] in brackets, * marks a required
field, a choice takes its number or its value, yes/no questions take y or n. An empty line
keeps the default (or leaves an optional field out). Secret and password fields are not shown
as you type. When the server refuses some values, its message is shown next to each field and
only those fields are asked again.

Options:
  --values <json>   answer without asking: a JSON object of field name to value

Exit status 1 when the request is no longer open or the input ends before the answer is done.
--json prints the submitted request.

${CONNECTION_HELP}`,
  options: { values: { type: "string" } },
  positionals: ["conversation_id", "input_request_id"],
  async run({ client, io, json, signal, style }, parsed, [conversationId, id]) {
    const given = parsed.values.values;
    const scripted = typeof given === "string" ? parseValues(given) : undefined;
    const request = await client.humanInput.getInputRequest(conversationId!, id!, {}, { signal });
    if (request.status !== "open") {
      io.err(`runline: input request ${id} is ${request.status}, not open; nothing to answer.\n`);
      return 1;
    }
    if (scripted) {
      const submitted = await client.humanInput.respond(conversationId!, id!, scripted, {
        signal,
      });
      report(submitted, io.out, json);
      return 0;
    }
    if (!io.input) throw new UsageError("no terminal to ask on: pass --values <json>");
    const prompter = createPrompter(io.input, io.err);
    try {
      io.err(`${style.bold(request.title)}\n`);
      if (request.description) io.err(`${request.description}\n`);
      io.err(style.dim(`(* required; empty line keeps the [default])\n`));
      const fields = request.fields as InputField[];
      const values: Record<string, Value> = {};
      let asking = fields;
      let problems = new Map<string, string>();
      for (;;) {
        for (const field of asking) {
          const message = problems.get(field.name);
          if (message) io.err(style.red(`  ${field.name}: ${message}\n`));
          const value = await askField(prompter, field, io.err);
          if (value === undefined) {
            io.err("runline: the input ended before the answer was complete; nothing was sent.\n");
            return 1;
          }
          if (value === null) delete values[field.name];
          else values[field.name] = value;
        }
        try {
          const submitted = await client.humanInput.respond(conversationId!, id!, values, {
            signal,
          });
          report(submitted, io.out, json);
          return 0;
        } catch (error) {
          if (!(error instanceof RunlineError) || error.code !== "invalid_response") throw error;
          problems = new Map(
            error.issues.map((issue) => [issue.path.replace(/^values\./, ""), issue.message]),
          );
          io.err(style.yellow("The server refused some values; please correct them:\n"));
          asking = fields.filter((field) => problems.has(field.name));
          if (asking.length === 0) throw error;
        }
      }
    } finally {
      prompter.close();
    }
  },
};

function parseValues(text: string): InputValues {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError("--values must be a JSON object");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new UsageError("--values must be a JSON object");
  }
  return parsed as InputValues;
}

function report(request: InputRequest, out: (text: string) => void, json: boolean): void {
  if (json) out(`${JSON.stringify(request)}\n`);
  else out(`Submitted: input request ${request.id} is ${request.status}.\n`);
}

const YES = /^(y|yes|true)$/i;
const NO = /^(n|no|false)$/i;

/**
 * Asks one field; the value to send (null: leave it out), or undefined when the input ended.
 * Values are passed on as typed where the server does the checking (numbers, patterns).
 */
async function askField(
  prompter: Prompter,
  field: InputField,
  write: (text: string) => void,
): Promise<Value | null | undefined> {
  const mark = field.required ? "*" : "";
  if (field.description) write(`  ${field.description}\n`);
  switch (field.type) {
    case "select":
    case "radio": {
      field.options.forEach((option, index) => {
        const note = option.recommended ? " (recommended)" : "";
        write(`  ${index + 1}) ${option.label} [${option.value}]${note}\n`);
      });
      const fallback = field.defaultValue !== undefined ? ` [${field.defaultValue}]` : "";
      const line = await prompter.ask(`${field.label}${mark}${fallback}: `);
      if (line === undefined) return undefined;
      const text = line.trim();
      if (text === "") return field.defaultValue ?? null;
      const index = /^\d+$/.test(text) ? Number(text) - 1 : -1;
      return field.options[index]?.value ?? text;
    }
    case "checkbox":
    case "confirm": {
      const fallback =
        field.type === "checkbox"
          ? field.defaultValue
            ? "Y/n"
            : "y/N"
          : `y = ${field.confirmLabel}, n = ${field.denyLabel}`;
      const line = await prompter.ask(`${field.label}${mark} (${fallback}): `);
      if (line === undefined) return undefined;
      const text = line.trim();
      if (text === "") return field.type === "checkbox" ? field.defaultValue : null;
      if (YES.test(text)) return true;
      if (NO.test(text)) return false;
      return text;
    }
    default: {
      const secret = field.secret || field.type === "password";
      const hasDefault = field.defaultValue !== undefined && field.defaultValue !== "";
      const fallback = hasDefault && !secret ? ` [${field.defaultValue}]` : "";
      const hint = field.type === "text" || field.type === "textarea" ? "" : ` (${field.type})`;
      const line = await prompter.ask(`${field.label}${mark}${hint}${fallback}: `, { secret });
      if (line === undefined) return undefined;
      if (line === "") return hasDefault ? (field.defaultValue as string) : null;
      return line;
    }
  }
}
