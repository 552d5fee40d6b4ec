/**
 * The run's state as a JSON tree, with the latest change highlighted: the paths a
 * `STATE_DELTA` touched (removals listed), or "replaced" for a `STATE_SNAPSHOT`. After a
 * snapshot the latest change is not in the folded state, so it is looked up at the loaded tail
 * of the raw log (only while that tail is contiguous, so it is really the latest).
 */
import { useMemo } from "react";
import type { EventLogStore } from "../lib/event-log.ts";
import { get, type Json, type PatchOperation, parsePointer, toPointer } from "../lib/json-patch.ts";
import type { StateChange } from "../lib/run-model.ts";
import { JsonTree, type Marks } from "./json-tree.tsx";

const SCAN_LIMIT = 5000;

/** The latest STATE_* event at the end of the loaded log, if the tail is loaded. */
function changeFromLog(log: EventLogStore): StateChange | undefined {
  for (let id = log.total, seen = 0; id >= 1 && seen < SCAN_LIMIT; id -= 1, seen += 1) {
    const row = log.row(id);
    if (!row) return undefined;
    if (row.type === "STATE_SNAPSHOT") return { eventId: id, kind: "snapshot", operations: [] };
    if (row.type === "STATE_DELTA") {
      const delta = row.event.delta;
      return { eventId: id, kind: "delta", operations: Array.isArray(delta) ? delta : [] };
    }
  }
  return undefined;
}

/** Pointers the operations wrote to (with `-` resolved to the array's last index). */
function marksOf(state: Json, operations: readonly PatchOperation[]): Marks {
  const changed = new Set<string>();
  const within = new Set<string>();
  for (const op of operations) {
    if (op.op === "remove" || op.op === "test") continue;
    let tokens = parsePointer(op.path);
    if (tokens.at(-1) === "-") {
      try {
        const parent = get(state, tokens.slice(0, -1));
        if (Array.isArray(parent)) tokens = [...tokens.slice(0, -1), String(parent.length - 1)];
      } catch {
        continue;
      }
    }
    changed.add(toPointer(tokens));
    for (let i = 0; i < tokens.length; i += 1) within.add(toPointer(tokens.slice(0, i)));
  }
  return { changed, within };
}

export function StateView(props: {
  state: Json;
  change: StateChange | undefined;
  log: EventLogStore;
}) {
  const { state, log } = props;
  const change = props.change ?? changeFromLog(log);
  const marks = useMemo(
    () =>
      change?.kind === "delta" && !change.error
        ? marksOf(state, change.operations)
        : { changed: new Set<string>(), within: new Set<string>() },
    [state, change],
  );
  const empty =
    state === null || (typeof state === "object" && Object.keys(state as object).length === 0);
  return (
    <div className="state" data-testid="state-view">
      {change && (
        <div className="state-change">
          <strong>Latest change</strong>
          {change.eventId !== null && ` (event #${change.eventId})`}:{" "}
          {change.kind === "snapshot" ? (
            "the whole state was replaced (STATE_SNAPSHOT)"
          ) : (
            <ul className="ops">
              {change.operations.map((op, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: operations of one patch, fixed order
                <li key={i} className={op.op === "remove" ? "op-remove" : "op-write"}>
                  <span className="mono">
                    {op.op} {op.path || "/"}
                    {op.from !== undefined ? ` from ${op.from}` : ""}
                  </span>
                </li>
              ))}
            </ul>
          )}
          {change.error && (
            <p className="error">This patch did not apply and was skipped: {change.error}</p>
          )}
        </div>
      )}
      {empty ? (
        <p className="empty">The state is empty.</p>
      ) : (
        <JsonTree value={state} marks={marks} />
      )}
    </div>
  );
}
