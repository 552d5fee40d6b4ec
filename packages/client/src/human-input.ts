/**
 * Human input (docs/api.md §7, §7.5), as `client.humanInput`: Veryfront-style input requests —
 * an agent opens one and waits for the answer, a person (UI, CLI) lists what is open and
 * answers — and AG-UI 1.0 interrupts: a run ends with an interrupt outcome, the next root run
 * answers with `resume`.
 */
import type {
  Accepted,
  AgentRunRecord,
  CompleteResult,
  CreateInputRequestInput,
  CreateRunInput,
  InputRequest,
  InputRequestListParams,
  InputValues,
  InterruptItem,
  InterruptListParams,
  Page,
  ResumeEntry,
  RunOutcome,
  RunSummary,
} from "./contract.ts";
import { path, type RequestOptions, type Transport } from "./transport.ts";

/** The longest single long-poll the server allows (`wait_seconds`). */
export const MAX_WAIT_SECONDS = 60;

export interface WaitForAnswerOptions extends RequestOptions {
  /** Give up after this many seconds with the request as it then is (default: until it closes). */
  timeoutSeconds?: number;
}

/** An AG-UI 1.0 Interrupt (the server validates it with `@ag-ui/core`'s schema). */
export interface Interrupt {
  id: string;
  reason: string;
  message?: string;
  toolCallId?: string;
  /** A JSON Schema of the expected answer. */
  responseSchema?: Record<string, unknown>;
  /** ISO 8601; past it, the interrupt needs no answer. */
  expiresAt?: string;
  metadata?: Record<string, unknown>;
  subagentRunId?: string;
}

const requestsPath = (conversationId: string) =>
  path`/conversations/${conversationId}/input-requests`;
const requestPath = (conversationId: string, id: string) =>
  path`/conversations/${conversationId}/input-requests/${id}`;

export class HumanInputApi {
  constructor(private readonly transport: Transport) {}

  /**
   * Opens an input request for a run's tool call (`createInputRequest`). Sending the same
   * run and tool call again while it is open returns that request (safe to retry).
   */
  createInputRequest(
    conversationId: string,
    input: CreateInputRequestInput,
    options?: RequestOptions,
  ): Promise<InputRequest> {
    return this.transport.json("POST", requestsPath(conversationId), { ...options, body: input });
  }

  /** Reads a request; with `waitSeconds` (1–60) the server holds the answer until it closes. */
  getInputRequest(
    conversationId: string,
    id: string,
    params: { waitSeconds?: number } = {},
    options?: RequestOptions,
  ): Promise<InputRequest> {
    const wait = params.waitSeconds;
    return this.transport.json("GET", requestPath(conversationId, id), {
      // The call must outlive the long-poll it asks for.
      ...(wait !== undefined && { timeoutMs: (wait + 15) * 1000 }),
      ...options,
      query: { wait_seconds: wait },
    });
  }

  /** A conversation's requests, newest first (filter by `status`, `run_id`). */
  listInputRequests(
    conversationId: string,
    params: InputRequestListParams = {},
    options?: RequestOptions,
  ): Promise<Page<InputRequest>> {
    return this.transport.json("GET", requestsPath(conversationId), { ...options, query: params });
  }

  /** Every open request of a conversation (all pages), newest first. */
  async listOpenInputRequests(
    conversationId: string,
    options?: RequestOptions,
  ): Promise<InputRequest[]> {
    const open: InputRequest[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listInputRequests(
        conversationId,
        { status: "open", limit: 100, ...(cursor && { cursor }) },
        options,
      );
      open.push(...page.data);
      cursor = page.page_info.next ?? undefined;
    } while (cursor);
    return open;
  }

  /**
   * Waits until the request is no longer open — submitted, cancelled or expired — by
   * long-polling (60 s at a time), and returns it. With `timeoutSeconds`, returns the request
   * as it is then, possibly still open.
   */
  async waitForAnswer(
    conversationId: string,
    id: string,
    options: WaitForAnswerOptions = {},
  ): Promise<InputRequest> {
    const { timeoutSeconds, ...requestOptions } = options;
    const deadline = timeoutSeconds === undefined ? Infinity : Date.now() + timeoutSeconds * 1000;
    for (;;) {
      const left = Math.ceil((deadline - Date.now()) / 1000);
      const waitSeconds = Math.max(1, Math.min(MAX_WAIT_SECONDS, left));
      const request = await this.getInputRequest(
        conversationId,
        id,
        { waitSeconds },
        requestOptions,
      );
      if (request.status !== "open" || Date.now() >= deadline) return request;
    }
  }

  /**
   * Answers an open request (`submitInputResponse`): every field is checked by the server; a
   * refusal is a `RunlineError` with code `invalid_response` and `problem.issues` per field.
   */
  respond(
    conversationId: string,
    id: string,
    values: InputValues,
    options?: RequestOptions,
  ): Promise<InputRequest> {
    return this.transport.json("POST", `${requestPath(conversationId, id)}/responses`, {
      ...options,
      body: { values },
    });
  }

  /** Cancels a request (`cancelInputRequest`); cancelling it again is harmless. */
  cancel(conversationId: string, id: string, options?: RequestOptions): Promise<InputRequest> {
    return this.transport.json("POST", `${requestPath(conversationId, id)}/cancel`, options);
  }

  // ── AG-UI interrupts (docs/api.md §7.5) ──────────────────────────────────────────────────

  /** Ends a run as completed with an interrupt outcome, opening its interrupts. */
  interrupt(
    conversationId: string,
    runId: string,
    interrupts: Interrupt[],
    input: { metadata?: Record<string, unknown> } = {},
    options?: RequestOptions,
  ): Promise<CompleteResult<AgentRunRecord>> {
    return this.transport.json(
      "POST",
      path`/conversations/${conversationId}/runs/${runId}/complete`,
      {
        ...options,
        body: {
          status: "completed",
          ...input,
          outcome: { type: "interrupt", interrupts } as RunOutcome,
        },
      },
    );
  }

  /** A conversation's interrupts, newest first (filter by `status`). */
  listInterrupts(
    conversationId: string,
    params: InterruptListParams = {},
    options?: RequestOptions,
  ): Promise<Page<InterruptItem>> {
    return this.transport.json("GET", path`/conversations/${conversationId}/interrupts`, {
      ...options,
      query: params,
    });
  }

  /**
   * Starts the next root run of a conversation answering its open interrupts: `POST /runs`
   * with `request.resume`. The run's `RUN_STARTED` carries them as `input.resume`.
   */
  resume(
    conversationId: string,
    resume: ResumeEntry[],
    request: Omit<CreateRunInput["request"], "resume">,
    input: Omit<CreateRunInput, "kind" | "owner" | "request"> = {},
    options?: RequestOptions,
  ): Promise<Accepted<RunSummary>> {
    return this.transport.json("POST", "/runs", {
      ...options,
      body: {
        ...input,
        kind: "agent",
        owner: { kind: "conversation", id: conversationId },
        request: { ...request, resume },
      },
    });
  }
}
