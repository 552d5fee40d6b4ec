/** Canonical JSON (object keys sorted) for comparing events structurally, e.g. retried batches. */
import { configure } from "safe-stable-stringify";

const stringify = configure({ deterministic: true, circularValue: Error, bigint: false });

export function canonicalJson(value: unknown): string {
  return stringify(value) ?? "undefined";
}
