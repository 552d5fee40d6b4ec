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
import type { HumanInputContext } from "./human-input/context.ts";
import { InputRequestExpirySweeper } from "./human-input/expiry-sweeper.ts";
import { InputRequestWakeups } from "./human-input/wakeups.ts";
import type { LedgerContext } from "./ledger/context.ts";
import { RunCache } from "./ledger/run-cache.ts";
import { Live } from "./live/live.ts";
import { PrometheusRetentionMetrics } from "./retention/metrics.ts";
import { Sweeper } from "./retention/sweeper.ts";
import { openStore } from "./store/open-store.ts";
import type { RunRow, RunStore } from "./store/types.ts";
import { startTracing } from "./tracing/tracing.ts";
import { WebhookDeliverer } from "./webhooks/deliverer.ts";
import { WebhookOutbox } from "./webhooks/outbox.ts";
import { type ClaimWakeups, claimSignalFor, LocalClaimWakeups } from "./workers/wakeups.ts";

export interface RunlineServer {
  app: FastifyInstance;
  store: RunStore;
  ledger: LedgerContext;
  tokens: ServerTokens;
  /** Who callers are (its API-key cache hears revocations). */
  authenticator: Authenticator;
  /** Called after every commit that changed a run (the live hub and worker wake-ups listen). */
  onCommitted(listener: (run: RunRow) => void): void;
  /** Live following: the hub, the open SSE streams and (PostgreSQL) the cross-instance feed. */
  live: Live;
  /** Wakes long-polling worker claims; a cross-instance feed calls its `notify` too. */
  claimWakeups: ClaimWakeups;
  /** The retention sweeper (docs/api.md §9): started with the server, stopped by `close`. */
  sweeper: Sweeper;
  /** Webhook deliveries (docs/api.md §10): started with the server, stopped by `close`. */
  webhooks: WebhookDeliverer;
  /** Input requests and interrupts: its `humanInput` hub announces every committed change. */
  humanInput: HumanInputContext;
  /** The admin key generated on first start of an empty database (print it once). */
  generatedKey: string | undefined;
  /**
   * With `deferBootstrap`: creates the first project and admin key now and resolves to the
   * generated key (undefined when none was generated). Idempotent; a no-op otherwise.
   */
  bootstrap(): Promise<string | undefined>;
  /** What RUNLINE_BOOTSTRAP_KEY did on a database that was not empty (also logged as a warning). */
  bootstrapWarning: string | undefined;
  /** Stops accepting, finishes in-flight requests, ends streams, closes the store. */
  close(): Promise<void>;
}

export interface ServerOptions {
  logger?: FastifyServerOptions["logger"];
  store?: RunStore;
  /**
   * Leave the first project and admin key to `bootstrap()`. `main.ts` calls it only once the
   * port is bound, so a one-time key is never printed (and lost) by a start that then fails.
   */
  deferBootstrap?: boolean;
  /**
   * Check every JSON response against its route's response schema (tests: a reply that drifts
   * from the contract becomes a 500 naming the mismatch). Off in production: the record mappers
   * are typed as the schemas' output, and parsing every reply would cost a copy.
   */
  validateResponses?: boolean;
}

export async function createServer(
  config: Config,
  options: ServerOptions = {},
): Promise<RunlineServer> {
  // Before anything runs in the store: its transactions get spans (tracing on only).
  const tracing = await startTracing(config.tracing);
  const store = options.store ?? (await openStore(config));
  tracing?.traceStore(store);
  await store.migrate();
  const boot = options.deferBootstrap
    ? undefined
    : await bootstrap(store, config.bootstrapKey, new Date().toISOString());
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
    runCache: new RunCache(),
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
  const authenticator = new Authenticator(store, tokens, new UserJwts(config.jwt));
  // Cached API keys: revocations from any instance arrive through the feed; while it cannot
  // hear them (reconnecting), nothing is cached.
  live.feed?.on("apiKeyRevoked", (keyId) => authenticator.apiKeys.forget(keyId));
  live.feed?.on("lost", () => authenticator.apiKeys.suspend());
  live.feed?.on("restored", () => authenticator.apiKeys.resume());
  const sweeper = new Sweeper({
    store,
    now: ledger.now,
    retentionDays: config.retention.days,
    tombstoneDays: config.retention.tombstoneDays,
    webhookDeliveryDays: config.webhooks.deliveryRetentionDays,
    intervalMs: config.retention.sweepIntervalMs,
    batchRows: config.retention.batchRows,
    metrics: new PrometheusRetentionMetrics(metrics.registry),
  });
  // Human input (docs/api.md §7): changes wake long-polls here and, over the feed, elsewhere.
  const humanInput: HumanInputContext = {
    ...ledger,
    inputRequestWakeups: new InputRequestWakeups(),
  };
  store.changes.onCommitted((changes) => {
    for (const change of changes) {
      if (!("inputRequest" in change)) continue;
      humanInput.inputRequestWakeups.wake(change.inputRequest.id);
      live.feed?.publishInputRequest(change.inputRequest.id);
    }
  });
  live.feed?.on("inputRequest", (id) => humanInput.inputRequestWakeups.wake(id));
  // Webhooks (docs/api.md §10): outbox rows written with the changes they report, delivered by a
  // background loop, woken here when this instance commits some (others find them by polling).
  const outbox = new WebhookOutbox(store, ledger.now);
  outbox.install();
  const webhooks = new WebhookDeliverer({
    store,
    retryScheduleMs: config.webhooks.retryScheduleMs,
    timeoutMs: config.webhooks.timeoutMs,
    pollMs: config.webhooks.pollMs,
    allowPrivate: config.webhooks.allowPrivate,
    onError: (error) => app.log.warn({ err: error }, "webhook delivery failed"),
  });
  store.changes.onCommitted((changes) => {
    if (outbox.wroteDeliveries(changes)) webhooks.nudge();
  });
  const app = await buildApp(
    {
      config,
      ledger,
      sweeper,
      authenticator,
      tokens,
      metrics,
      live,
      claimWakeups,
      humanInput,
      validateResponses: options.validateResponses ?? false,
      tracing,
    },
    options.logger ?? true,
  );
  live.useLogger(app.log);
  sweeper.onError((error) => app.log.warn({ err: error }, "retention sweep failed"));
  sweeper.start();
  const expirySweeper = new InputRequestExpirySweeper(
    humanInput,
    config.inputRequestSweepMs,
    (error) => app.log.warn({ err: error }, "input request expiry sweep failed"),
  );
  expirySweeper.start();
  webhooks.start();
  if (boot?.warning) app.log.warn({ bootstrap: true }, boot.warning);
  if (config.tracing.warning) app.log.warn({ tracing: true }, config.tracing.warning);
  let closed = false;
  return {
    app,
    store,
    ledger,
    tokens,
    authenticator,
    live,
    claimWakeups,
    sweeper,
    humanInput,
    webhooks,
    onCommitted: (listener) => {
      committedListeners.push(listener);
    },
    generatedKey: boot?.createdKey,
    async bootstrap() {
      if (!options.deferBootstrap) return undefined;
      const result = await bootstrap(store, config.bootstrapKey, new Date().toISOString());
      if (result.warning) app.log.warn({ bootstrap: true }, result.warning);
      return result.createdKey;
    },
    bootstrapWarning: boot?.warning,
    async close() {
      if (closed) return;
      closed = true;
      await sweeper.stop();
      await expirySweeper.stop();
      await webhooks.stop();
      await app.close(); // its preClose hook ends open streams first
      await live.close();
      await store.close();
      await tracing?.flush(); // the last requests' spans, before the process exits
    },
  };
}
