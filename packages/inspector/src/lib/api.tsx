/**
 * The inspector's connection to the server: a `RunlineClient` (from `@runline/client`) for the
 * signed-in key, shared through React context, plus error wording for people.
 *
 * The UI is served by the server it inspects, so the API is this page's origin. A 401 anywhere
 * means the key stopped working (revoked, wrong server): the app signs out and says so.
 */
import { RunlineClient, RunlineConnectionError, RunlineError } from "@runline/client";
import { createContext, type ReactNode, useContext, useMemo } from "react";

export interface Api {
  client: RunlineClient;
  /** Builds another client with the same key and a wrapped `fetch` (to watch connections). */
  clientWith(fetchFn: (input: string, init: RequestInit) => Promise<Response>): RunlineClient;
  /** Call with any error from the client: signs out on 401, returns the message to show. */
  describe(error: unknown): string;
}

const ApiContext = createContext<Api | undefined>(undefined);

export function createClient(
  apiKey: string,
  fetchFn?: (input: string, init: RequestInit) => Promise<Response>,
): RunlineClient {
  return new RunlineClient({
    baseUrl: window.location.origin,
    apiKey,
    ...(fetchFn && { fetch: fetchFn }),
  });
}

export function ApiProvider(props: {
  apiKey: string;
  onUnauthorized: (message: string) => void;
  children: ReactNode;
}) {
  const { apiKey, onUnauthorized } = props;
  const api = useMemo<Api>(
    () => ({
      client: createClient(apiKey),
      clientWith: (fetchFn) => createClient(apiKey, fetchFn),
      describe: (error) => {
        if (error instanceof RunlineError && error.status === 401) {
          onUnauthorized("The server no longer accepts this API key. Sign in again.");
        }
        return describeError(error);
      },
    }),
    [apiKey, onUnauthorized],
  );
  return <ApiContext.Provider value={api}>{props.children}</ApiContext.Provider>;
}

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error("useApi outside ApiProvider");
  return api;
}

/** A sentence for an error: the problem's detail (and code), or what went wrong on the way. */
export function describeError(error: unknown): string {
  if (error instanceof RunlineError) {
    if (error.status === 403) {
      return `Not allowed: ${error.detail} (this key lacks the scope for it).`;
    }
    return `${error.detail} (${error.code}, HTTP ${error.status})`;
  }
  if (error instanceof RunlineConnectionError) {
    return `Could not reach the server: ${error.message}`;
  }
  if (error instanceof DOMException && error.name === "AbortError") return "Cancelled.";
  return error instanceof Error ? error.message : String(error);
}

/** Whether this error is our own abort (a component went away): nothing to show. */
export function isAbort(error: unknown): boolean {
  return (
    (error instanceof DOMException && error.name === "AbortError") ||
    (error instanceof Error && error.name === "AbortError")
  );
}
