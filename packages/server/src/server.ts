/**
 * Assembles a Runline server from configuration: store (migrated), bootstrap project and key,
 * ledger, HTTP app. `main.ts` runs it as a process; tests start it on a free port.
 */

import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyServerOptions } from "fastify";
import { Authenticator } from "./auth/authenticate.ts";
import { bootstrap } from "./auth/bootstrap.ts";
import { ServerTokens } from "./auth/server-tokens.ts";
import { UserJwts } from "./auth/user-jwts.ts";
import type { Config } from "./config/config.ts";
import { CursorCodec } from "./domain/cursor.ts";
import { buildApp } from "./http/app.ts";
import { Metrics } from "./http/metrics.ts";
import type { LedgerContext } from "./ledger/context.ts";
import { Live } from "./live/live.ts";
import { openStore } from "./store/open-store.ts";
import type { RunRow, RunStore } from "./store/types.ts";
import { type ClaimWakeups, claimSignalFor, LocalClaimWakeups } from "./workers/wakeups.ts";

export interface RunlineServer {
  app: FastifyInstance;
  store: RunStore;
  ledger: LedgerContext;
  tokens: ServerTokens;
  /** Called after every commit that changed a run (the live hub and worker wake-ups listen). */
  onCommitted(listener: (run: RunRow) => void): void;
  /** Live following: the hub, the open SSE streams and (PostgreSQL) the cross-instance feed. */
  live: Live;
  /** Wakes long-polling worker claims; a cross-instance feed calls its `notify` too. */
  claimWakeups: ClaimWakeups;
  /** The admin key generated on first start of an empty database (print it once). */
  generatedKey: string | undefined;
  /** What RUNLINE_BOOTSTRAP_KEY did on a database that was not empty (also logged as a warning). */
  bootstrapWarning: string | undefined;
  /** Stops accepting, finishes in-flight requests, ends streams, closes the store. */
  close(): Promise<void>;
}

export interface ServerOptions {
  logger?: FastifyServerOptions["logger"];
  store?: RunStore;
}

export async function createServer(
  config: Config,
  options: ServerOptions = {},
): Promise<RunlineServer> {
  const store = options.store ?? (await openStore(config));
  await store.migrate();
  const boot = await bootstrap(store, config.bootstrapKey, new Date().toISOString());
  const cursorSecret = await store.getOrCreateSecret("cursor", () =>
    randomBytes(32).toString("base64url"),
  );
  const tokens = new ServerTokens(
    await store.getOrCreateSecret("server-tokens", () => randomBytes(32).toString("base64url")),
  );
  const committedListeners: ((run: RunRow) => void)[] = [];
  const ledger: LedgerContext = {
    store,
    cursors: new CursorCodec(cursorSecret),
    now: () => new Date().toISOString(),
    committed: (run) => {
      for (const listener of committedListeners) listener(run);
    },
  };
  const metrics = new Metrics();
  const live = await Live.start(config, store, metrics);
  committedListeners.push((run) => live.committed(run));
  // Long-polling claims wake when a run becomes claimable: here, or on another instance (feed).
  const claimWakeups = new LocalClaimWakeups();
  live.feed?.on("claim", (signal) => claimWakeups.notify(signal));
  committedListeners.push((run) => {
    const signal = claimSignalFor(run, ledger.now());
    if (!signal) return;
    claimWakeups.notify(signal);
    live.feed?.publishClaim(signal);
  });
  const app = await buildApp(
    {
      config,
      ledger,
      authenticator: new Authenticator(store, tokens, new UserJwts(config.jwt)),
      tokens,
      metrics,
      live,
      claimWakeups,
    },
    options.logger ?? true,
  );
  live.useLogger(app.log);
  if (boot.warning) app.log.warn({ bootstrap: true }, boot.warning);
  let closed = false;
  return {
    app,
    store,
    ledger,
    tokens,
    live,
    claimWakeups,
    onCommitted: (listener) => {
      committedListeners.push(listener);
    },
    generatedKey: boot.createdKey,
    bootstrapWarning: boot.warning,
    async close() {
      if (closed) return;
      closed = true;
      await app.close(); // its preClose hook ends open streams first
      await live.close();
      await store.close();
    },
  };
}
