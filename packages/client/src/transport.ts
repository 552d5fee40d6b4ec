/**
 * One HTTP exchange with a Runline server over `fetch`: URL and query building, credentials,
 * `Content-Type: application/json` on every call (as the contract asks of clients), per-request
 * timeouts, and turning error answers into `RunlineError`s and missing answers into
 * `RunlineConnectionError`s. No retries here: callers that are safe to retry do so themselves.
 */
import { type ProblemBody, RunlineConnectionError, RunlineError } from "./errors.ts";
import { abortReason, type LinkedSignal, linkSignals } from "./signals.ts";

/** The subset of `fetch` the client needs (pass your own for tests, proxies, polyfills). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Extra headers for every request; a function is called per request (e.g. to refresh a JWT). */
export type HeadersSource =
  | Record<string, string>
  | (() => Record<string, string> | Promise<Record<string, string>>);

export interface Credentials {
  /** An API key `vf_<prefix>_<secret>`, sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** A JWT, run event-writer token or worker token, sent as `Authorization: Bearer`. */
  token?: string;
  headers?: HeadersSource;
}

export interface TransportOptions extends Credentials {
  /** Where the server listens, e.g. `http://127.0.0.1:8787` (no path prefix in the contract). */
  baseUrl: string;
  fetch?: FetchLike;
  /** Give up on a request with no answer after this long (default 30 000 ms). */
  timeoutMs?: number;
}

/** Per-call options every method accepts. */
export interface RequestOptions {
  signal?: AbortSignal;
  /** Overrides the client's `timeoutMs` for this call. */
  timeoutMs?: number;
  headers?: Record<string, string>;
}

export type QueryValue = string | number | boolean | null | undefined;

export interface CallOptions extends RequestOptions {
  query?: Record<string, QueryValue>;
  /** A JSON-serialisable body. */
  body?: unknown;
  /** A body already serialised as JSON (sent byte for byte, e.g. a retried append). */
  rawBody?: string;
}

/** An open response whose body is still being read (for SSE). */
export interface OpenResponse {
  response: Response;
  /** Aborting it closes the connection; dispose it when done. */
  connection: LinkedSignal;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class Transport {
  readonly baseUrl: string;
  private readonly options: TransportOptions;
  private readonly fetchFn: FetchLike;

  constructor(options: TransportOptions) {
    if (options.apiKey && options.token) {
      throw new TypeError("Give either apiKey or token, not both");
    }
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    // Bound through a closure: browsers refuse `fetch` called with another `this`.
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** Sends a request and parses its JSON answer (undefined for 204). */
  async json<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const linked = this.deadline(options);
    try {
      const response = await this.send(method, path, options, linked, "application/json");
      const text = await response.text();
      if (!response.ok) throw errorFrom(response, text);
      return (text === "" ? undefined : JSON.parse(text)) as T;
    } catch (error) {
      throw translate(error, options.signal, linked);
    } finally {
      linked.dispose();
    }
  }

  /**
   * Opens a request whose body the caller reads (SSE). The timeout covers only the wait for
   * the response head; the caller owns the connection afterwards.
   */
  async open(method: string, path: string, options: CallOptions = {}): Promise<OpenResponse> {
    const linked = this.deadline(options);
    try {
      const response = await this.send(method, path, options, linked, "text/event-stream");
      if (!response.ok) throw errorFrom(response, await response.text());
      linked.clearDeadline();
      return { response, connection: linked };
    } catch (error) {
      linked.dispose();
      throw translate(error, options.signal, linked);
    }
  }

  private async send(
    method: string,
    path: string,
    options: CallOptions,
    linked: LinkedSignal,
    accept: string,
  ): Promise<Response> {
    const extra = this.options.headers;
    const headers: Record<string, string> = {
      accept,
      "content-type": "application/json",
      ...(typeof extra === "function" ? await extra() : extra),
      ...options.headers,
    };
    const secret = this.options.apiKey ?? this.options.token;
    if (secret && !hasHeader(headers, "authorization")) headers.authorization = `Bearer ${secret}`;
    const body =
      options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    return this.fetchFn(this.url(path, options.query), {
      method,
      headers,
      signal: linked.signal,
      ...(body !== undefined && { body }),
    });
  }

  private url(path: string, query: Record<string, QueryValue> | undefined): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) params.set(key, String(value));
    }
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ""}`;
  }

  /** A signal linked to the caller's, aborted with a timeout error after `timeoutMs`. */
  private deadline(options: RequestOptions): LinkedSignal & { clearDeadline(): void } {
    const linked = linkSignals(options.signal);
    const ms = options.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(
      () => linked.abort(new RunlineConnectionError(`No answer within ${ms} ms`, true)),
      ms,
    );
    const clearDeadline = () => clearTimeout(timer);
    return {
      ...linked,
      clearDeadline,
      dispose: () => {
        clearDeadline();
        linked.dispose();
      },
    };
  }
}

/** `encodeURIComponent` for each path segment. */
export function path(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce(
    (out, part, i) => out + part + (i < values.length ? encodeURIComponent(values[i]!) : ""),
    "",
  );
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

/** The error for a non-2xx answer: its problem body, or one made up from the status. */
function errorFrom(response: Response, text: string): RunlineError {
  const retryAfter = Number(response.headers.get("retry-after") ?? Number.NaN);
  const retryAfterSeconds = Number.isFinite(retryAfter) ? retryAfter : undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (isProblem(parsed)) return RunlineError.from(parsed, retryAfterSeconds);
  const problem: ProblemBody = {
    type: "about:blank",
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    detail: text.slice(0, 500) || response.statusText || `HTTP ${response.status}`,
    code: `http_${response.status}`,
    request_id: response.headers.get("x-request-id") ?? "",
  };
  return RunlineError.from(problem, retryAfterSeconds);
}

function isProblem(value: unknown): value is ProblemBody {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === "string" && typeof v.status === "number";
}

/**
 * Our errors pass through; the caller's abort rethrows its reason; our own timeout becomes a
 * `RunlineConnectionError` with `timedOut`; any other failure (fetch's TypeError, a reset
 * while reading the body) is a `RunlineConnectionError`.
 */
export function translate(
  error: unknown,
  callerSignal: AbortSignal | undefined,
  linked?: LinkedSignal,
): unknown {
  if (error instanceof RunlineError || error instanceof RunlineConnectionError) return error;
  if (callerSignal?.aborted) return abortReason(callerSignal);
  const reason = linked?.signal.aborted ? linked.signal.reason : undefined;
  if (reason instanceof RunlineConnectionError) return reason;
  if (error instanceof SyntaxError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new RunlineConnectionError(`Connection failed: ${message}`, false, { cause: error });
}
