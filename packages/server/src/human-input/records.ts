/**
 * The wire shapes of input requests and interrupts (docs/api.md §7, §7.5), from stored rows.
 *
 * Expiry is applied on every read: an `open` row whose deadline has passed is presented as
 * `expired` (with `expired_at` = its deadline) before the sweeper has written that down.
 * Secret values are shown only to credentials that may write to the run; everyone else gets
 * `null` in their place.
 */

import type {
  InputField,
  InputRequest,
  InterruptItem as InterruptItemWire,
} from "@runline/contract";
import type { AuthContext } from "../auth/auth-context.ts";
import type {
  InputRequestRow,
  InputRequestStatus,
  InterruptRow,
  InterruptStatus,
} from "../store/human-input.ts";

/** The row as it stands at `now` (expiry applied). */
export function effectiveInputRequest(row: InputRequestRow, now: string): InputRequestRow {
  if (row.status !== "open" || row.expires_at > now) return row;
  return { ...row, status: "expired", expired_at: row.expires_at };
}

export function effectiveInterruptStatus(row: InterruptRow, now: string): InterruptStatus {
  return row.status === "open" && row.expires_at !== null && row.expires_at <= now
    ? "expired"
    : row.status;
}

export function isOpen(row: InputRequestRow, now: string): boolean {
  return effectiveInputRequest(row, now).status === "open";
}

/**
 * Whether `auth` sees secret values of this request: a credential that may write to the run
 * (scope `runs:write` — users, keys, workers — or the run's own writer token).
 */
export function maySeeSecrets(auth: AuthContext, row: Pick<InputRequestRow, "run_id">): boolean {
  if (auth.scopes.has("runs:write")) return true;
  return auth.principal.kind === "run_writer" && auth.principal.runId === row.run_id;
}

/** The record with secret values replaced by null (streams, webhooks, read-only readers). */
export function withoutSecrets(row: InputRequestRow): InputRequestRow {
  const response = row.latest_response;
  if (!response) return row;
  const secret = new Set(
    (row.fields as unknown as InputField[]).filter((f) => f.secret).map((f) => f.name),
  );
  if (secret.size === 0) return row;
  const values = Object.fromEntries(
    Object.entries(response.values).map(([name, value]) => [name, secret.has(name) ? null : value]),
  );
  return { ...row, latest_response: { ...response, values } };
}

/** The contract's output type: a mapper that drifts from `InputRequestSchema` does not compile. */
export type InputRequestRecord = InputRequest;

/** The record as the contract shapes it; `row` should already be effective and redacted. */
export function toInputRequestRecord(row: InputRequestRow): InputRequestRecord {
  return {
    id: row.id,
    conversation_id: row.conversation_id,
    run_id: row.run_id,
    tool_call_id: row.tool_call_id,
    kind: row.kind,
    status: row.status as InputRequestStatus,
    requested_responder_type: row.requested_responder_type,
    title: row.title,
    description: row.description,
    fields: row.fields,
    recommendations: null,
    metadata: row.metadata,
    created_at: row.created_at,
    expires_at: row.expires_at,
    submitted_at: row.submitted_at,
    cancelled_at: row.cancelled_at,
    expired_at: row.expired_at,
    latest_response: row.latest_response,
  };
}

/** What `auth` may see of a request at `now`. */
export function presentInputRequest(row: InputRequestRow, auth: AuthContext, now: string) {
  const effective = effectiveInputRequest(row, now);
  return toInputRequestRecord(maySeeSecrets(auth, row) ? effective : withoutSecrets(effective));
}

/** The contract's output type (`InterruptItemSchema`). */
export type InterruptItem = InterruptItemWire;

/** An item of `GET …/interrupts` (also the data of `interrupt.*` lifecycle frames). */
export function toInterruptItem(row: InterruptRow, now: string): InterruptItem {
  return {
    interrupt: row.interrupt,
    run_id: row.run_id,
    status: effectiveInterruptStatus(row, now),
    created_at: row.created_at,
    resolved_by_run_id: row.resolved_by_run_id,
    resume: row.resume,
  };
}
