/**
 * Run-scoped routes are served under three path families with identical behaviour
 * (docs/api.md §4): `/runs/{run_id}`, and the conversation-scoped `/conversations/{cid}/runs/{run_id}`
 * and older `/conversations/{cid}/agent-runs/{run_id}`. `/runs/…` answers with canonical
 * summaries, the conversation families with agent run records.
 */

import { ConversationRunParams, RunParams } from "@runline/contract";
import type { z } from "zod";
import {
  type AgentRunRecord,
  type RunSummary,
  toAgentRunRecord,
  toRunSummary,
} from "../../domain/records.ts";
import type { RunAddress } from "../../ledger/access.ts";
import type { RunRow } from "../../store/types.ts";

export interface RunFamily {
  prefix: string;
  params: z.ZodType;
  /** The shape this family answers with for a run. */
  present: (run: RunRow) => RunSummary | AgentRunRecord;
  tag: string;
  /** The operation's name on this family (OpenAPI `operationId`): ("get") → "getConversationRun". */
  operationId: (verb: string, rest?: string) => string;
}

export const CANONICAL: RunFamily = {
  prefix: "/runs/:run_id",
  params: RunParams,
  present: toRunSummary,
  tag: "runs",
  operationId: (verb, rest = "") => `${verb}Run${rest}`,
};

export const CONVERSATION_FAMILIES: RunFamily[] = [
  {
    prefix: "/conversations/:conversation_id/runs/:run_id",
    params: ConversationRunParams,
    present: toAgentRunRecord,
    tag: "conversation runs",
    operationId: (verb, rest = "") => `${verb}ConversationRun${rest}`,
  },
  {
    prefix: "/conversations/:conversation_id/agent-runs/:run_id",
    params: ConversationRunParams,
    present: toAgentRunRecord,
    tag: "conversation runs (older paths)",
    operationId: (verb, rest = "") => `${verb}ConversationAgentRun${rest}`,
  },
];

export const ALL_FAMILIES: RunFamily[] = [CANONICAL, ...CONVERSATION_FAMILIES];

/** The run a request's path names. */
export function addressOf(params: unknown): RunAddress {
  const p = params as { run_id: string; conversation_id?: string };
  return { runId: p.run_id, conversationId: p.conversation_id };
}
