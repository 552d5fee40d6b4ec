/**
 * `RunlineClient`: one typed method per route of the contract (`../shared/spec/api.md`),
 * over `fetch`, for Node 20+ and browsers.
 *
 * Run-scoped calls use the current conversation family (`/conversations/{cid}/runs/{run_id}/…`,
 * answering with agent run records); the canonical `/runs/…` family is used where only it
 * exists or where its summaries are the point (`getRun`, `listRuns`, `listRunChildren`).
 * `run(conversationId, runId)` returns a `RunHandle` for retry-safe appends and live follow.
 */
import type {
  Accepted,
  AgentRunRecord,
  ApiKey,
  AppendEventsInput,
  AppendEventsResult,
  CancelResult,
  CancelRunInput,
  ChildrenParams,
  ClaimInput,
  CompleteResult,
  CompleteRunInput,
  Conversation,
  ConversationRunListParams,
  CreateApiKeyInput,
  CreateConversationInput,
  CreatedApiKey,
  CreatedWebhook,
  CreateRunInput,
  CreateWebhookInput,
  CurrentCredential,
  EventListParams,
  EventWriterToken,
  HeartbeatInput,
  LeaseInput,
  LoggedEvent,
  Page,
  ProjectSettings,
  ProjectSettingsInput,
  RegisterWorkerInput,
  RunListParams,
  RunReply,
  RunSnapshot,
  RunSummary,
  RunWithSnapshot,
  StartRunInput,
  ToolResultInput,
  ToolResultReply,
  WaitInput,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryListParams,
  Worker,
  WorkerCredentials,
  WorkerRun,
  WorkerSession,
  WorkerSessionInput,
} from "./contract.ts";
import { ConversationHandle } from "./conversation.ts";
import { HumanInputApi } from "./human-input.ts";
import { RunHandle, type RunHandleOptions } from "./run-handle.ts";
import { followRun, type StreamedEvent, type StreamOptions } from "./stream.ts";
import {
  type Credentials,
  path,
  type RequestOptions,
  Transport,
  type TransportOptions,
} from "./transport.ts";

export type RunlineClientOptions = TransportOptions;

const runPath = (conversationId: string, runId: string) =>
  path`/conversations/${conversationId}/runs/${runId}`;

export class RunlineClient {
  private readonly options: RunlineClientOptions;
  private readonly transport: Transport;
  /** Input requests and AG-UI interrupts (docs/api.md §7, §7.5). */
  readonly humanInput: HumanInputApi;

  /**
   * `baseUrl` plus at most one of `apiKey` / `token` (sent as `Authorization: Bearer`), extra
   * `headers` (an object, or a function called per request), a `fetch` to use instead of the
   * global one, and `timeoutMs` for requests that get no answer (default 30 s).
   */
  constructor(options: RunlineClientOptions) {
    this.options = options;
    this.transport = new Transport(options);
    this.humanInput = new HumanInputApi(this.transport);
  }

  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  /** The same server, fetch and timeout with other credentials (e.g. a worker token). */
  withCredentials(credentials: Credentials): RunlineClient {
    const { apiKey: _apiKey, token: _token, headers: _headers, ...rest } = this.options;
    return new RunlineClient({ ...rest, ...credentials });
  }

  /** A handle for retry-safe appends, live follow and the run's other calls. */
  run(conversationId: string, runId: string, options?: RunHandleOptions): RunHandle {
    return new RunHandle(this.transport, conversationId, runId, options);
  }

  // ── Conversations (docs/api.md §1) ───────────────────────────────────────────────────────

  /** Creates a conversation (or returns the existing one with that id). */
  createConversation(
    input: CreateConversationInput = {},
    options?: RequestOptions,
  ): Promise<Conversation> {
    return this.post("/conversations", input, options);
  }

  getConversation(conversationId: string, options?: RequestOptions): Promise<Conversation> {
    return this.get(path`/conversations/${conversationId}`, {}, options);
  }

  /** A handle for following the conversation live over one connection (docs/api.md §8). */
  conversation(conversationId: string): ConversationHandle {
    return new ConversationHandle(this.transport, conversationId);
  }

  // ── Runs (docs/api.md §4.1, §4.2) ────────────────────────────────────────────────────────

  /**
   * `POST /runs`: creates a run (idempotent on `public_id`). `multitask_strategy` says what
   * happens when the conversation already has an active root run (docs/api.md §8): `allow` (default),
   * `reject` (409 `conversation_busy`, `problem.active_run_ids`), `enqueue` (created pending
   * with `queued_behind`) or `interrupt` (the active root runs are cancelled).
   */
  createRun(input: CreateRunInput, options?: RequestOptions): Promise<Accepted<RunSummary>> {
    return this.post("/runs", input, options);
  }

  /** The older `…/agent-runs/{run_id}/start`: the path's run id is the idempotency key. */
  startRun(
    conversationId: string,
    runId: string,
    input: StartRunInput = {},
    options?: RequestOptions,
  ): Promise<Accepted<AgentRunRecord>> {
    return this.post(
      path`/conversations/${conversationId}/agent-runs/${runId}/start`,
      input,
      options,
    );
  }

  /** The canonical summary of a run. */
  getRun(runId: string, options?: RequestOptions): Promise<RunSummary> {
    return this.get(path`/runs/${runId}`, {}, options);
  }

  /** The agent run record, addressed through its conversation. */
  getConversationRun(
    conversationId: string,
    runId: string,
    options?: RequestOptions,
  ): Promise<AgentRunRecord> {
    return this.get(runPath(conversationId, runId), {}, options);
  }

  /** The project's runs, newest first. */
  listRuns(params: RunListParams = {}, options?: RequestOptions): Promise<Page<RunSummary>> {
    return this.get("/runs", params, options);
  }

  /** A conversation's runs, newest first. */
  listConversationRuns(
    conversationId: string,
    params: ConversationRunListParams = {},
    options?: RequestOptions,
  ): Promise<Page<AgentRunRecord>> {
    return this.get(path`/conversations/${conversationId}/runs`, params, options);
  }

  // ── The log (docs/api.md §4.3–§4.5) ──────────────────────────────────────────────────────

  /**
   * One append request, as given (1–100 events, cursors optional), without retries. Producers
   * usually want `run(…).append(events)`, which batches, tracks cursors and retries safely.
   */
  appendEvents(
    conversationId: string,
    runId: string,
    input: AppendEventsInput,
    options?: RequestOptions,
  ): Promise<AppendEventsResult> {
    return this.post(`${runPath(conversationId, runId)}/events`, input, options);
  }

  listEvents(
    conversationId: string,
    runId: string,
    params: EventListParams = {},
    options?: RequestOptions,
  ): Promise<Page<LoggedEvent>> {
    return this.get(`${runPath(conversationId, runId)}/events`, params, options);
  }

  getSnapshot(
    conversationId: string,
    runId: string,
    options?: RequestOptions,
  ): Promise<RunSnapshot> {
    return this.get(`${runPath(conversationId, runId)}/snapshot`, {}, options);
  }

  /** Follows a run live over SSE, resuming by itself; see `StreamOptions`. */
  stream(
    conversationId: string,
    runId: string,
    options?: StreamOptions,
  ): AsyncGenerator<StreamedEvent, void, undefined> {
    return followRun(this.transport, runPath(conversationId, runId), options);
  }

  // ── Finishing and waiting (docs/api.md §4.7, §4.8) ───────────────────────────────────────

  completeRun(
    conversationId: string,
    runId: string,
    input: CompleteRunInput,
    options?: RequestOptions,
  ): Promise<CompleteResult<AgentRunRecord>> {
    return this.post(`${runPath(conversationId, runId)}/complete`, input, options);
  }

  cancelRun(
    conversationId: string,
    runId: string,
    input: CancelRunInput = {},
    options?: RequestOptions,
  ): Promise<CancelResult<AgentRunRecord>> {
    return this.post(`${runPath(conversationId, runId)}/cancel`, input, options);
  }

  waitForTool(
    conversationId: string,
    runId: string,
    input: WaitInput,
    options?: RequestOptions,
  ): Promise<RunReply<AgentRunRecord>> {
    return this.post(`${runPath(conversationId, runId)}/wait`, input, options);
  }

  submitToolResult(
    conversationId: string,
    runId: string,
    input: ToolResultInput,
    options?: RequestOptions,
  ): Promise<ToolResultReply> {
    return this.post(`${runPath(conversationId, runId)}/tool-result`, input, options);
  }

  // ── Lineage (docs/api.md §4.6) ───────────────────────────────────────────────────────────

  /** Runs whose parent is this run, oldest first (agent run records). */
  listChildren(
    conversationId: string,
    runId: string,
    params: ChildrenParams = {},
    options?: RequestOptions,
  ): Promise<Page<AgentRunRecord>> {
    return this.get(`${runPath(conversationId, runId)}/children`, params, options);
  }

  /** Runs whose parent is this run, oldest first (canonical summaries). */
  listRunChildren(
    runId: string,
    params: ChildrenParams = {},
    options?: RequestOptions,
  ): Promise<Page<RunSummary>> {
    return this.get(path`/runs/${runId}/children`, params, options);
  }

  /** Runs spawned from this conversation, each with its `run_snapshot`. */
  listChildrenByParentConversation(
    conversationId: string,
    params: ChildrenParams = {},
    options?: RequestOptions,
  ): Promise<Page<RunWithSnapshot>> {
    return this.get(
      path`/conversations/${conversationId}/runs/children-by-parent-conversation`,
      params,
      options,
    );
  }

  // ── Credentials (docs/api.md §2) ─────────────────────────────────────────────────────────

  /** Creates an API key (scope `admin`); the reply's `key` is the only copy of the secret. */
  createApiKey(input: CreateApiKeyInput = {}, options?: RequestOptions): Promise<CreatedApiKey> {
    return this.post("/api-keys", input, options);
  }

  listApiKeys(options?: RequestOptions): Promise<{ data: ApiKey[] }> {
    return this.get("/api-keys", {}, options);
  }

  async deleteApiKey(id: string, options?: RequestOptions): Promise<void> {
    await this.transport.json("DELETE", path`/api-keys/${id}`, options);
  }

  /** The calling credential: its project, kind and scopes. */
  getCurrentCredential(options?: RequestOptions): Promise<CurrentCredential> {
    return this.get("/credentials/current", {}, options);
  }

  /** A short-lived token that can append to this run only. */
  createEventWriterToken(runId: string, options?: RequestOptions): Promise<EventWriterToken> {
    return this.post(path`/runs/${runId}/event-writer-token`, undefined, options);
  }

  /** A writer token for a child run (callable with the parent's writer token). */
  createChildEventWriterToken(
    parentRunId: string,
    childRunId: string,
    options?: RequestOptions,
  ): Promise<EventWriterToken> {
    return this.post(
      path`/runs/${parentRunId}/children/${childRunId}/event-writer-token`,
      undefined,
      options,
    );
  }

  // ── Retention and deletion (docs/api.md §9) ──────────────────────────────────────────────

  /**
   * Deletes an ended run and its descendants (scope `runs:write`). Afterwards the run answers
   * 410 `run_deleted`; 409 `run_active` while it or a descendant is active.
   */
  async deleteRun(runId: string, options?: RequestOptions): Promise<void> {
    await this.transport.json("DELETE", path`/runs/${runId}`, options);
  }

  /**
   * Deletes a conversation and every run in it (with their descendants). `cancel: true`
   * cancels active runs first; without it an active run makes this 409 `run_active`.
   */
  async deleteConversation(
    conversationId: string,
    params: { cancel?: boolean } = {},
    options?: RequestOptions,
  ): Promise<void> {
    await this.transport.json("DELETE", path`/conversations/${conversationId}`, {
      ...options,
      query: { cancel: params.cancel === undefined ? undefined : String(params.cancel) },
    });
  }

  /** The caller's project settings: its retention (scope `admin`). */
  getProjectSettings(options?: RequestOptions): Promise<ProjectSettings> {
    return this.get("/projects/current/settings", {}, options);
  }

  /** Sets the project's retention: days, 0 = forever, null = the server default (scope `admin`). */
  putProjectSettings(
    input: ProjectSettingsInput,
    options?: RequestOptions,
  ): Promise<ProjectSettings> {
    return this.transport.json("PUT", "/projects/current/settings", { ...options, body: input });
  }

  // ── Webhooks (docs/api.md §10) ───────────────────────────────────────────────────────────────────────

  /**
   * Subscribes a URL to run and input-request changes (scope `admin`). The reply's `secret`
   * (`whsec_…`) signs every delivery and is shown only here.
   */
  createWebhook(input: CreateWebhookInput, options?: RequestOptions): Promise<CreatedWebhook> {
    return this.post("/webhooks", input, options);
  }

  /** The project's webhooks, oldest first (never a secret). */
  listWebhooks(options?: RequestOptions): Promise<{ data: Webhook[] }> {
    return this.get("/webhooks", {}, options);
  }

  /** Deletes a webhook: nothing more is delivered to it. */
  async deleteWebhook(id: string, options?: RequestOptions): Promise<void> {
    await this.transport.json("DELETE", path`/webhooks/${id}`, options);
  }

  /** A webhook's deliveries, newest first; a delivery's `id` is its `webhook-id`. */
  listWebhookDeliveries(
    id: string,
    params: WebhookDeliveryListParams = {},
    options?: RequestOptions,
  ): Promise<Page<WebhookDelivery>> {
    return this.get(path`/webhooks/${id}/deliveries`, params, options);
  }

  // ── Agent workers (docs/api.md §5) ───────────────────────────────────────────────────────

  /** Registers (or finds) a worker; use the returned token with `withCredentials`. */
  registerWorker(
    projectReference: string,
    input: RegisterWorkerInput,
    options?: RequestOptions,
  ): Promise<WorkerCredentials> {
    return this.post(path`/agent-workers/projects/${projectReference}/workers`, input, options);
  }

  getWorker(workerId: string, options?: RequestOptions): Promise<{ worker: Worker }> {
    return this.get(path`/agent-workers/workers/${workerId}`, {}, options);
  }

  /** Marks the worker alive and returns a fresh worker token. */
  heartbeatWorker(
    workerId: string,
    input: HeartbeatInput = {},
    options?: RequestOptions,
  ): Promise<WorkerCredentials> {
    return this.post(path`/agent-workers/workers/${workerId}/heartbeat`, input, options);
  }

  /** Takes the oldest claimable run (long-polls up to `wait_seconds`); `run: null` if none. */
  claimRun(
    workerId: string,
    input: ClaimInput = {},
    options?: RequestOptions,
  ): Promise<{ run: WorkerRun | null }> {
    return this.post(path`/agent-workers/workers/${workerId}/claim`, input, options);
  }

  /** Extends the lease; `run: null` when this worker no longer holds it (drop the run). */
  renewLease(
    workerId: string,
    runId: string,
    input: LeaseInput = {},
    options?: RequestOptions,
  ): Promise<{ run: WorkerRun | null }> {
    return this.post(path`/agent-workers/workers/${workerId}/runs/${runId}/lease`, input, options);
  }

  putWorkerSession(
    workerId: string,
    runId: string,
    input: WorkerSessionInput,
    options?: RequestOptions,
  ): Promise<{ session: WorkerSession }> {
    return this.transport.json(
      "PUT",
      path`/agent-workers/workers/${workerId}/runs/${runId}/session`,
      {
        ...options,
        body: input,
      },
    );
  }

  // ──────────────────────────────────────────────────────────────────────────────────────────

  private get<T>(
    url: string,
    query: Record<string, string | number | undefined>,
    options: RequestOptions | undefined,
  ): Promise<T> {
    return this.transport.json<T>("GET", url, { ...options, query });
  }

  private post<T>(url: string, body: unknown, options: RequestOptions | undefined): Promise<T> {
    return this.transport.json<T>("POST", url, { ...options, body });
  }
}
