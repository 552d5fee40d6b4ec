/**
 * A small HTTP client for the reliability tests: JSON in and out, the admin key, and a clear
 * split between "the server answered" (`ApiResponse`, whatever the status) and "no answer"
 * (`TransportError`: refused, reset, closed mid-request — the outcome of a write is unknown).
 */

export class TransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TransportError";
  }
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or undefined when there is none or it is not JSON. */
  body: unknown;
  text: string;
}

/** A safety bound against a hung connection (never an assertion about speed). */
const REQUEST_LIMIT_MS = 60_000;

export class Api {
  constructor(
    public baseUrl: string,
    readonly key: string,
  ) {}

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.baseUrl + path, {
        method,
        headers: {
          authorization: `Bearer ${this.key}`,
          ...(body !== undefined && { "content-type": "application/json" }),
          ...headers,
        },
        ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_LIMIT_MS),
      });
      text = await response.text();
    } catch (error) {
      throw new TransportError(`${method} ${path}: ${describe(error)}`, { cause: error });
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const code = cause && typeof cause === "object" ? (cause as { code?: unknown }).code : undefined;
  return code ? `${error.message} (${String(code)})` : error.message;
}

/** A problem body's `code`, or undefined. */
export function problemCode(response: ApiResponse): string | undefined {
  const body = response.body;
  if (body && typeof body === "object" && "code" in body) {
    const code = (body as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

/** One line describing a response, for failure messages. */
export function brief(response: ApiResponse): string {
  return `${response.status} ${response.text.slice(0, 400)}`;
}

/**
 * Whether a 503 is the contract's: problem JSON with code `unavailable` and a `Retry-After`
 * header (docs/api.md §3).
 */
export function isContractUnavailable(response: ApiResponse): boolean {
  return (
    response.status === 503 &&
    (response.headers.get("content-type") ?? "").startsWith("application/problem+json") &&
    problemCode(response) === "unavailable" &&
    response.headers.get("retry-after") !== null
  );
}
