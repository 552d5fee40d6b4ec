/**
 * A span per store transaction, wrapped once around the store object (both stores, every
 * caller, the stores' own internal transactions included) rather than in each store.
 *
 * Only as a child: a transaction of a request, an append or a claim gets a span; one of a
 * background sweep with no span around it does not (a lone root span a minute per instance
 * would bury the traces people look for).
 *
 * The transaction body is bound to its span: SQLite runs queued bodies from its group-commit
 * loop, whose async context is whichever caller started the group, and without the binding a
 * body's spans and log lines would belong to that other request.
 */
import { trace } from "@opentelemetry/api";
import { ATTR_DB_SYSTEM_NAME } from "@opentelemetry/semantic-conventions";
import type { RunRow, RunStore, RunStoreTx, RunWrite } from "../store/types.ts";
import { bindToActiveSpan, withSpan } from "./spans.ts";

export function traceStore(store: RunStore): void {
  const attributes = {
    [ATTR_DB_SYSTEM_NAME]: store.dialect === "postgres" ? "postgresql" : "sqlite",
  };
  const transaction = store.transaction.bind(store);
  store.transaction = <T>(fn: (tx: RunStoreTx) => Promise<T>): Promise<T> =>
    trace.getActiveSpan() === undefined
      ? transaction(bindToActiveSpan(fn)) // kept out of whichever request started the group
      : withSpan("store.transaction", attributes, () => transaction(bindToActiveSpan(fn)));
  // The common append's compare-and-set is a transaction of its own, outside `transaction`.
  const appendToRun = store.appendToRun.bind(store);
  store.appendToRun = (write: RunWrite): Promise<RunRow | undefined> =>
    withSpan("store.append", attributes, async (span) => {
      const written = await appendToRun(write);
      span.setAttribute("runline.store.written", written !== undefined);
      return written;
    });
}
