/**
 * The storage boundary. Everything Runline keeps goes through `RunStore`; SQLite
 * (`sqlite/sqlite-store.ts`) and PostgreSQL (`postgres/postgres-store.ts`) implement it and
 * pass the same conformance suite (`test/store/store-conformance.ts`).
 *
 * Stores hold no business rules: the ledger (`src/ledger/`) decides, inside `transaction()`,
 * what to write. A transaction sees its own writes; reads outside one see only committed data
 * and never block writers.
 */
import type { WorkerStatus } from "@runline/contract";
import type { OwnerRecord } from "../domain/agui/sequence.ts";
import type { AguiEvent } from "../domain/agui/types.ts";
import type { JsonObject, RunRow, RunStatus } from "../domain/run.ts";
import type { ChangeJournal, RecordedChange } from "./changes.ts";
import type { ConversationFramesReads, ConversationFramesTx } from "./conversation-frames.ts";
import type { HumanInputReads, HumanInputTx } from "./human-input.ts";
import type { RetentionReads, RetentionTx } from "./retention.ts";
import type { WebhookReads, WebhookTx } from "./webhooks.ts";

export type { JsonObject, RunRow, RunStatus, WaitingReason } from "../domain/run.ts";

export type NewRun = Omit<RunRow, "pk">;

/** Columns the ledger may change after creation. */
export type RunPatch = Partial<
  Pick<
    RunRow,
    | "status"
    | "latest_event_id"
    | "latest_external_event_sequence"
    | "waiting_reason"
    | "waiting_tool_call_id"
    | "waiting_tool_name"
    | "terminal_error_code"
    | "terminal_error_message"
    | "metadata"
    | "sequence_state"
    | "lease_owner"
    | "lease_expires_at"
    | "worker_session"
    | "started_at"
    | "finished_at"
    | "queued_behind"
  >
>;

export interface NewEvent {
  event_id: number;
  event_type: string;
  /** Position among caller-appended events (1, 2, …); null for server-written events. */
  external_seq: number | null;
  event: AguiEvent;
  /** `event` as JSON, serialised once by the caller. */
  json: string;
  created_at: string;
}

export interface StoredEvent {
  readonly event_id: number;
  readonly event_type: string;
  readonly event: AguiEvent;
  /** `event`'s JSON text exactly as stored (what was appended): served as is. */
  readonly json: string;
  readonly created_at: string;
}

/**
 * What an append's decision read from the run, and what must still hold when it is written:
 * every write that could change the verdict moves one of these (events move `latest_event_id`;
 * status changes and lease changes move the others).
 */
export type RunGuard = Pick<
  RunRow,
  "latest_event_id" | "status" | "lease_owner" | "lease_expires_at"
>;

/** One append, written by `RunStore.appendToRun` only if the run still matches `expected`. */
export interface RunWrite {
  runPk: number;
  expected: RunGuard;
  /** Always includes the new cursors and `sequence_state`. */
  patch: RunPatch;
  events: readonly NewEvent[];
  /** Owner records to insert or replace (`run_owners`). */
  owners: readonly OwnerRecord[];
}

/** Where a retried batch would start: after an event id, or after an external sequence number. */
export type LogPosition = { afterEventId: number } | { afterExternalSeq: number };

export interface RunFilter {
  project_id: string;
  status?: RunStatus;
  agent_id?: string;
  conversation_id?: string;
  parent_run_id?: string;
  parent_conversation_id?: string;
  spawned_from_tool_call_id?: string;
}

export interface RunPage {
  /** Keyset: rows strictly after this pk in the listing order. */
  afterPk?: number;
  order: "asc" | "desc";
  limit: number;
}

export interface ConversationRow {
  project_id: string;
  id: string;
  metadata: JsonObject | null;
  created_at: string;
}

export interface ProjectRow {
  id: string;
  name: string;
  created_at: string;
}

export interface ApiKeyRow {
  id: string;
  project_id: string;
  name: string | null;
  prefix: string;
  secret_hash: string;
  scopes: string[];
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

/** What a worker last declared about itself (register, heartbeat). */
export type { WorkerStatus };

/**
 * A registered agent worker (docs/api.md §5): one per (project, implementation_kind, worker_key).
 * Whether it is alive is not stored: readers derive it from `last_heartbeat_at`.
 */
export interface WorkerRow {
  id: string;
  project_id: string;
  implementation_kind: string;
  worker_key: string;
  implementation_display_name: string | null;
  display_name: string | null;
  metadata: JsonObject | null;
  /** The status the worker last declared; `inactive` too once heartbeats stop (derived on read). */
  status: WorkerStatus;
  last_heartbeat_at: string;
  created_at: string;
}

/** Worker columns that may change after registration. */
export type WorkerPatch = Partial<
  Pick<
    WorkerRow,
    "implementation_display_name" | "display_name" | "metadata" | "status" | "last_heartbeat_at"
  >
>;

/**
 * Which runs a worker may claim: runs of its project and `implementation_kind` that name no
 * `worker_key` or name this one — `pending`, or `running` with no lease or a lease that expired
 * at or before `now`.
 */
export interface ClaimQuery {
  project_id: string;
  implementation_kind: string;
  worker_key: string;
  now: string;
}

/** Operations available inside one transaction. */
export interface RunStoreTx {
  /**
   * Records a change this transaction made, for the journal's writers (before COMMIT) and
   * listeners (after): see `changes.ts`.
   */
  record(change: RecordedChange): void;
  /** Deletion and retention (docs/api.md §9): see `retention.ts`. */
  readonly retention: RetentionTx;
  /** Reads a run and locks it against concurrent writers until the transaction ends. */
  getRunForUpdate(projectId: string, runId: string): Promise<RunRow | undefined>;
  /** Inserts a run; `undefined` when (project_id, run_id) exists already (nothing written). */
  insertRun(run: NewRun): Promise<RunRow | undefined>;
  updateRun(pk: number, patch: RunPatch): Promise<void>;
  insertEvents(runPk: number, events: readonly NewEvent[]): Promise<void>;
  /** Caller-appended events (server-written ones skipped) after a position, ascending. */
  externalEventsAfter(runPk: number, position: LogPosition, limit: number): Promise<AguiEvent[]>;
  /** The recorded owners (`run_owners`) of these entity ids, of every kind. */
  getOwners(runPk: number, ids: readonly string[]): Promise<OwnerRecord[]>;
  /** Records owners, each replacing the record of the same kind and id. */
  putOwners(runPk: number, owners: readonly OwnerRecord[]): Promise<void>;
  /** The TOOL_CALL_RESULT written for a tool call, if any. */
  findToolCallResult(runPk: number, toolCallId: string): Promise<AguiEvent | undefined>;
  /** Every run below `rootRunId`'s subtree whose status is active, for cascading cancel. */
  listActiveRunsInTree(projectId: string, rootRunId: string): Promise<RunRow[]>;
  /** Inserts the conversation unless it exists; returns it and whether it was created. */
  ensureConversation(
    conversation: ConversationRow,
  ): Promise<{ conversation: ConversationRow; created: boolean }>;
  /** Serialises bootstrap across server instances starting at once (until the transaction ends). */
  lockBootstrap(): Promise<void>;
  /** The oldest project's id, if any project exists. */
  firstProjectId(): Promise<string | undefined>;
  /** Every project, oldest first. */
  listProjects(): Promise<ProjectRow[]>;
  insertProject(project: ProjectRow): Promise<void>;
  insertApiKey(key: ApiKeyRow): Promise<void>;
  getApiKeyByPrefix(prefix: string): Promise<ApiKeyRow | undefined>;
  /**
   * The oldest run (by creation) `query` may claim, read and locked like `getRunForUpdate`.
   * Concurrent claims never get the same run: PostgreSQL skips runs another transaction holds
   * locked (`FOR UPDATE SKIP LOCKED`); SQLite has one writer. The caller then takes the lease.
   */
  claimableRunForUpdate(query: ClaimQuery): Promise<RunRow | undefined>;
  /**
   * Inserts the worker unless one with its (project_id, implementation_kind, worker_key) exists;
   * returns the stored worker (the existing one, unchanged, when there was one) and whether it
   * was created.
   */
  ensureWorker(worker: WorkerRow): Promise<{ worker: WorkerRow; created: boolean }>;
  /** Applies `patch` to a worker of the project; the worker as it now is, or undefined. */
  updateWorker(projectId: string, id: string, patch: WorkerPatch): Promise<WorkerRow | undefined>;
  /** Input requests and interrupts (docs/api.md §7), in this transaction. */
  readonly humanInput: HumanInputTx;
  /** Conversation streams (docs/api.md §8): frame numbering and frames, in this transaction. */
  readonly conversationFrames: ConversationFramesTx;
  /**
   * Serialises the transactions that decide a conversation's multitask strategy or queue
   * (docs/api.md §8) until this one ends: PostgreSQL takes an advisory lock on the conversation;
   * SQLite has one writer. Take it before locking any run, so lock order stays
   * conversation → runs → stream counter.
   */
  lockConversation(projectId: string, conversationId: string): Promise<void>;
  /** The active root runs of a conversation, oldest first (multitask strategies, §8). */
  activeRootRuns(projectId: string, conversationId: string): Promise<RunRow[]>;
  /**
   * The oldest root run of the conversation still queued (`queued_behind` set) with no active
   * root run created before it, locked; undefined when none (the queue's release, §8).
   */
  releasableQueuedRun(projectId: string, conversationId: string): Promise<RunRow | undefined>;
  /** Webhooks and their delivery outbox (docs/api.md §10), in this transaction. */
  readonly webhooks: WebhookTx;
}

/** A store's own transaction operations, before the journal adds `record` (`changes.ts`). */
export type RunStoreTxOps = Omit<RunStoreTx, "record">;

export interface RunStore {
  readonly dialect: "sqlite" | "postgres";
  /** Deletion and retention reads (docs/api.md §9): see `retention.ts`. */
  readonly retention: RetentionReads;
  /** Applies pending numbered migrations. Safe to call at every start. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Throws when storage is unreachable (for /readyz). */
  ping(): Promise<void>;
  /** Runs `fn` in one transaction: all of its writes commit together or not at all. */
  transaction<T>(fn: (tx: RunStoreTx) => Promise<T>): Promise<T>;
  /** What transactions record (`tx.record`), for in-transaction writers and commit listeners. */
  readonly changes: ChangeJournal;

  getRun(projectId: string, runId: string): Promise<RunRow | undefined>;
  /**
   * A run and the owner records of `ownerIds` (as `getOwners`), read together in one go:
   * everything an append decides on (committed data; see `appendToRun`).
   */
  getRunForAppend(
    projectId: string,
    runId: string,
    ownerIds: readonly string[],
  ): Promise<{ run: RunRow; owners: OwnerRecord[] } | undefined>;
  /**
   * Compare-and-set append, in one transaction of its own: when the run still matches
   * `write.expected`, inserts the events and owner records and applies the patch, and returns
   * the run as that transaction left it (every column as stored); otherwise writes nothing and
   * returns undefined (another write got there first: re-read and decide again). On PostgreSQL
   * this is a single statement (one round trip).
   */
  appendToRun(write: RunWrite): Promise<RunRow | undefined>;
  listRuns(filter: RunFilter, page: RunPage): Promise<RunRow[]>;
  /** Events with ids in (afterEventId, afterEventId + …], ascending, at most `limit`. */
  readEvents(runPk: number, afterEventId: number, limit: number): Promise<StoredEvent[]>;
  getConversation(projectId: string, id: string): Promise<ConversationRow | undefined>;
  getApiKeyByPrefix(prefix: string): Promise<ApiKeyRow | undefined>;
  listApiKeys(projectId: string): Promise<ApiKeyRow[]>;
  revokeApiKey(projectId: string, id: string, at: string): Promise<boolean>;
  /** Tells `listener` the id of each API key revoked through this store, once committed. */
  onApiKeyRevoked(listener: (keyId: string) => void): void;
  /**
   * A value that changes when another process may have committed to the database since it was
   * last read (SQLite: the writer connection's `PRAGMA data_version`, which moves only for
   * commits by other connections, e.g. the CLI). Caches of this process compare it. PostgreSQL:
   * always 0, other processes' changes arrive by LISTEN/NOTIFY instead.
   */
  externalCommits(): number;
  touchApiKey(id: string, at: string): Promise<void>;
  /** A server-wide secret (generated once, kept in the database) used to sign cursors and tokens. */
  getOrCreateSecret(name: string, create: () => string): Promise<string>;
  /** A worker of the project, if it exists. */
  getWorker(projectId: string, id: string): Promise<WorkerRow | undefined>;
  /**
   * The earliest instant after `query.now` at which a lease on a `running` run that `query`
   * matches expires (the run becomes claimable then), if any. Long-polling claims wait for it.
   */
  nextLeaseExpiry(query: ClaimQuery): Promise<string | undefined>;
  /** Input requests and interrupts (docs/api.md §7), committed data. */
  readonly humanInput: HumanInputReads;
  /** Conversation streams (docs/api.md §8), committed data. */
  readonly conversationFrames: ConversationFramesReads;
  /** Webhooks and their deliveries (docs/api.md §10), committed data. */
  readonly webhooks: WebhookReads;
}
