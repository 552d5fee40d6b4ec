/**
 * AG-UI 1.0 interrupts (docs/api.md §7.5). A run that completes with an `interrupt` outcome opens
 * its interrupts in the conversation (in the same transaction); the next **root** run of the
 * conversation must answer every open, unexpired one in `request.resume`, and closes them in
 * its creating transaction. An interrupt whose `expiresAt` has passed is expired and needs no
 * answer.
 */

import type { ResumeEntryInput, RunOutcomeInput } from "@runline/contract";
import type { AuthContext } from "../auth/auth-context.ts";
import { Problems } from "../errors.ts";
import { keysetPage, type Page } from "../ledger/keyset-page.ts";
import { interruptChange } from "../store/changes.ts";
import type { InterruptRow, InterruptStatus } from "../store/human-input.ts";
import type { JsonObject, RunRow, RunStoreTx } from "../store/types.ts";
import type { HumanInputContext } from "./context.ts";
import { effectiveInterruptStatus } from "./records.ts";

/** `expiresAt` as an ISO UTC string when it reads as a date; otherwise it never expires. */
function deadlineOf(interrupt: JsonObject): string | null {
  const raw = interrupt.expiresAt;
  if (typeof raw !== "string") return null;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/**
 * The conversation's open interrupts; those past their deadline are expired on the way
 * (written down, and announced with the other changes).
 */
async function openUnexpired(
  tx: RunStoreTx,
  projectId: string,
  conversationId: string,
  now: string,
): Promise<InterruptRow[]> {
  const open: InterruptRow[] = [];
  for (const row of await tx.humanInput.openInterrupts(projectId, conversationId)) {
    if (effectiveInterruptStatus(row, now) !== "expired") {
      open.push(row);
      continue;
    }
    const expired = await tx.humanInput.closeInterrupt(row.pk, {
      status: "expired",
      at: row.expires_at ?? now,
      resolvedByRunId: null,
      resume: null,
    });
    if (expired) tx.record(interruptChange("interrupt.closed", expired));
  }
  return open;
}

/** Opens the interrupts of a completing run's outcome; 409 `conflict` for an id already open. */
export async function openInterrupts(
  tx: RunStoreTx,
  run: RunRow,
  outcome: RunOutcomeInput | undefined,
  now: string,
): Promise<void> {
  if (outcome?.type !== "interrupt") return;
  // Validated by @ag-ui/core's RunFinishedOutcomeSchema (contract/schemas.ts).
  const interrupts = (outcome as unknown as { interrupts: JsonObject[] }).interrupts;
  const open = await openUnexpired(tx, run.project_id, run.conversation_id, now);
  const taken = new Set(open.map((row) => row.interrupt_id));
  for (const interrupt of interrupts) {
    const id = String(interrupt.id);
    const inserted = taken.has(id)
      ? undefined
      : await tx.humanInput.insertInterrupt({
          project_id: run.project_id,
          conversation_id: run.conversation_id,
          interrupt_id: id,
          run_pk: run.pk,
          run_id: run.run_id,
          status: "open",
          interrupt,
          expires_at: deadlineOf(interrupt),
          created_at: now,
          closed_at: null,
          resolved_by_run_id: null,
          resume: null,
        });
    if (!inserted) {
      throw Problems.conflict(
        `Interrupt ${id} is already open in conversation ${run.conversation_id}: interrupt ids are unique while open`,
      );
    }
    taken.add(id);
    tx.record(interruptChange("interrupt.opened", inserted));
  }
}

/**
 * Checks and applies a new root run's `resume` against the conversation's open interrupts:
 * 409 `interrupt_not_open` for an entry that names none, 409 `interrupts_unanswered` when one
 * is left unanswered; otherwise every one closes, answered by `runId`.
 */
export async function answerInterrupts(
  tx: RunStoreTx,
  projectId: string,
  conversationId: string,
  runId: string,
  resume: readonly ResumeEntryInput[] | undefined,
  now: string,
): Promise<void> {
  const open = await openUnexpired(tx, projectId, conversationId, now);
  const byId = new Map(open.map((row) => [row.interrupt_id, row]));
  const entries = resume ?? [];
  const stray = entries.filter((entry) => !byId.has(entry.interruptId));
  if (stray.length > 0) {
    throw Problems.interruptNotOpen(
      `No open interrupt in this conversation has the id ${stray.map((e) => JSON.stringify(e.interruptId)).join(", ")}`,
    );
  }
  const answered = new Set(entries.map((entry) => entry.interruptId));
  const unanswered = open.filter((row) => !answered.has(row.interrupt_id));
  if (unanswered.length > 0) {
    throw Problems.interruptsUnanswered(unanswered.map((row) => row.interrupt_id));
  }
  for (const entry of entries) {
    const row = byId.get(entry.interruptId) as InterruptRow;
    const closed = await tx.humanInput.closeInterrupt(row.pk, {
      status: entry.status,
      at: now,
      resolvedByRunId: runId,
      resume: entry as JsonObject,
    });
    if (!closed)
      throw Problems.conflict(`Interrupt ${entry.interruptId} was answered concurrently; retry`);
    tx.record(interruptChange("interrupt.closed", closed));
  }
}

export interface InterruptListing {
  status?: InterruptStatus | undefined;
  cursor: string | undefined;
  limit: number;
}

/** `GET /conversations/{cid}/interrupts`: newest first, expiry applied. */
export function listInterrupts(
  ctx: HumanInputContext,
  auth: AuthContext,
  conversationId: string,
  listing: InterruptListing,
): Promise<Page<InterruptRow>> {
  const now = ctx.now();
  return keysetPage(
    ctx,
    auth,
    {
      listing: { l: "interrupts", c: conversationId, s: listing.status },
      order: "desc",
      cursor: listing.cursor,
      limit: listing.limit,
    },
    (page) =>
      ctx.store.humanInput.listInterrupts(
        {
          project_id: auth.projectId,
          conversation_id: conversationId,
          status: listing.status,
          now,
        },
        page,
      ),
  );
}
