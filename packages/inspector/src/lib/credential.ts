/**
 * What the signed-in key may do (`GET /credentials/current`), read once per client, so the UI
 * offers only the actions that will work (a read-only key sees no delete button).
 */
import type { CurrentCredential, RunlineClient } from "@runline/client";
import { useEffect, useState } from "react";
import { isAbort, useApi } from "./api.tsx";

const cache = new WeakMap<RunlineClient, Promise<CurrentCredential>>();

/** The credential, or undefined until known (or when it cannot be read: nothing is offered). */
export function useCredential(): CurrentCredential | undefined {
  const { client } = useApi();
  const [credential, setCredential] = useState<CurrentCredential | undefined>();
  useEffect(() => {
    let live = true;
    let pending = cache.get(client);
    if (!pending) {
      pending = client.getCurrentCredential();
      cache.set(client, pending);
      pending.catch(() => cache.delete(client));
    }
    pending.then(
      (value) => {
        if (live) setCredential(value);
      },
      (error: unknown) => {
        if (!isAbort(error) && live) setCredential(undefined);
      },
    );
    return () => {
      live = false;
    };
  }, [client]);
  return credential;
}

/**
 * Whether the signed-in key may cancel runs and submit tool results (`runs:write`), so the UI
 * offers only what will work. Undefined while unknown.
 */
export function useCanWrite(): boolean | undefined {
  const credential = useCredential();
  return credential === undefined ? undefined : mayDeleteRuns(credential);
}

/** Deleting runs needs `runs:write` (admin keys made by the server carry it too). */
export const mayDeleteRuns = (credential: CurrentCredential | undefined): boolean =>
  credential?.scopes.includes("runs:write") === true;
