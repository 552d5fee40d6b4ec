/**
 * "Cancel run…": asks for confirmation (optionally cascading to every active descendant), then
 * `POST …/cancel`. Reports whether the run was cancelled or had already ended.
 */
import type { AgentRunRecord } from "@runline/client";
import { useState } from "react";
import { useApi } from "../lib/api.tsx";
import { useConfirmedAction } from "../lib/use-confirmed-action.ts";
import { ConfirmDialog } from "./confirm-dialog.tsx";

export function CancelAction(props: {
  record: AgentRunRecord;
  activeChildren: number;
  onDone: (message: string) => void;
}) {
  const { client } = useApi();
  const { record } = props;
  const [cascade, setCascade] = useState(false);
  const dialog = useConfirmedAction(async () => {
    const result = await client.cancelRun(record.conversation_id, record.run_id, { cascade });
    props.onDone(
      result.cancelled
        ? `Run cancelled${cascade ? ", with its active descendants" : ""}.`
        : `The run had already ended (${result.run.status}); nothing changed.`,
    );
  });

  return (
    <>
      <button type="button" className="danger" onClick={dialog.show}>
        Cancel run…
      </button>
      <ConfirmDialog
        open={dialog.open}
        title="Cancel this run?"
        confirmLabel="Cancel run"
        cancelLabel="Keep running"
        danger
        busy={dialog.busy}
        error={dialog.error}
        onConfirm={dialog.confirm}
        onCancel={dialog.hide}
      >
        <p>
          Run <span className="mono">{record.run_id}</span> ends with status{" "}
          <strong>cancelled</strong>; its log gets a final <span className="mono">RUN_ERROR</span>{" "}
          “Run cancelled”. This cannot be undone.
        </p>
        <label className="checkbox">
          <input type="checkbox" checked={cascade} onChange={(e) => setCascade(e.target.checked)} />{" "}
          Also cancel every active descendant run (cascade)
          {props.activeChildren > 0 && (
            <span className="muted">
              {" "}
              — {props.activeChildren} active child run{props.activeChildren === 1 ? "" : "s"}
            </span>
          )}
        </label>
      </ConfirmDialog>
    </>
  );
}
