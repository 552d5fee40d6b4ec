/**
 * Checks a person's answer against the fields of an input request (docs/api.md §7), field by
 * field, collecting every issue at once (`values.<name>`), and returns the values as stored:
 * numeric strings of `number` fields become numbers. Pure, apart from the time-bounded regex.
 */
import { createContext, Script } from "node:vm";
import type { InputField } from "@runline/contract";
import { z } from "zod";
import { Problems, type ValidationIssue } from "../errors.ts";

export type ResponseValue = string | number | boolean | null;
export type ResponseValues = Record<string, ResponseValue>;

/** How long one `pattern` may run against one value before the answer is refused. */
export const PATTERN_TIME_LIMIT_MS = 50;

const Email = z.email();
/** A numeric string: decimal notation only (no hex, no blanks, no "Infinity"). */
const DECIMAL = /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const Url = z.url();

// Patterns come from agents and values from people: a pattern with catastrophic backtracking
// must not stall the server. Evaluated in a separate context, whose `timeout` interrupts it.
const patternContext = createContext({ pattern: "", value: "" });
const patternScript = new Script("new RegExp(pattern, 'u').test(value)");

/** Whether `value` matches `pattern`; undefined when the time bound ran out. */
export function matchesPattern(pattern: string, value: string): boolean | undefined {
  patternContext.pattern = pattern;
  patternContext.value = value;
  try {
    return patternScript.runInContext(patternContext, { timeout: PATTERN_TIME_LIMIT_MS }) === true;
  } catch {
    return undefined;
  }
}

const isEmpty = (value: ResponseValue | undefined) =>
  value === undefined || value === null || value === "";

/** The values as stored, or throws 400 `invalid_response` listing every issue. */
export function validateResponse(
  fields: readonly InputField[],
  values: ResponseValues,
): ResponseValues {
  const issues: ValidationIssue[] = [];
  const issue = (name: string, message: string) => issues.push({ path: `values.${name}`, message });
  const byName = new Map(fields.map((field) => [field.name, field]));
  for (const name of Object.keys(values)) {
    if (!byName.has(name)) issue(name, "is not a field of this request");
  }
  const stored: ResponseValues = {};
  for (const field of fields) {
    const value = Object.hasOwn(values, field.name) ? values[field.name] : undefined;
    if (isEmpty(value)) {
      if (field.required) issue(field.name, "is required");
      if (value !== undefined) stored[field.name] = value ?? null;
      continue;
    }
    const checked = checkField(field, value as Exclude<ResponseValue, null>);
    if (typeof checked === "string") issue(field.name, checked);
    else stored[field.name] = checked.value;
  }
  if (issues.length > 0) throw Problems.invalidResponse(issues);
  return stored;
}

/** The stored value, or the message saying what is wrong with it. */
function checkField(
  field: InputField,
  value: string | number | boolean,
): { value: ResponseValue } | string {
  switch (field.type) {
    case "checkbox":
    case "confirm":
      return typeof value === "boolean" ? { value } : "must be true or false";
    case "select":
    case "radio":
      return typeof value === "string" && field.options.some((o) => o.value === value)
        ? { value }
        : `must be one of ${field.options.map((o) => JSON.stringify(o.value)).join(", ")}`;
    case "number": {
      const number =
        typeof value === "number"
          ? value
          : typeof value === "string" && DECIMAL.test(value)
            ? Number(value)
            : Number.NaN;
      if (!Number.isFinite(number)) return "must be a number";
      if (field.min !== undefined && number < field.min) return `must be at least ${field.min}`;
      if (field.max !== undefined && number > field.max) return `must be at most ${field.max}`;
      return { value: number };
    }
    default: {
      if (typeof value !== "string") return "must be a string";
      const length = [...value].length;
      if (field.minLength !== undefined && length < field.minLength) {
        return `must be at least ${field.minLength} characters long`;
      }
      if (field.maxLength !== undefined && length > field.maxLength) {
        return `must be at most ${field.maxLength} characters long`;
      }
      if (field.type === "email" && !Email.safeParse(value).success) {
        return "must be an email address";
      }
      if (field.type === "url" && !Url.safeParse(value).success) return "must be a URL";
      if (field.type !== "textarea" && field.pattern !== undefined) {
        const matched = matchesPattern(field.pattern, value);
        if (matched === undefined)
          return "could not be checked against the field's pattern in time";
        if (!matched) return `must match the pattern ${field.pattern}`;
      }
      return { value };
    }
  }
}
