/**
 * "Cancel run…": asks for confirmation (optionally cascading to every active descendant), then
 * `POST …/cancel`. Reports whether the run was cancelled or had already ended.
 */
import type { AgentRunRecord } from "@runline/client";
import { useState } from "react";
import { useApi } from "../lib/api.tsx";
import { ConfirmDialog } from "./confirm-dialog.tsx";

export function CancelAction(props: {
  record: AgentRunRecord;
  activeChildren: number;
  onDone: (message: string) => void;
}) {
  const { client, describe } = useApi();
  const { record } = props;
  const [open, setOpen] = useState(false);
  const [cascade, setCascade] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const result = await client.cancelRun(record.conversation_id, record.run_id, { cascade });
      setOpen(false);
      props.onDone(
        result.cancelled
          ? `Run cancelled${cascade ? ", with its active descendants" : ""}.`
          : `The run had already ended (${result.run.status}); nothing changed.`,
      );
    } catch (caught) {
      setError(describe(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button
        type="button"
        className="danger"
        onClick={() => {
          setError(undefined);
          setOpen(true);
        }}
      >
        Cancel run…
      </button>
      <ConfirmDialog
        open={open}
        title="Cancel this run?"
        confirmLabel="Cancel run"
        cancelLabel="Keep running"
        danger
        busy={busy}
        error={error}
        onConfirm={() => void confirm()}
        onCancel={() => setOpen(false)}
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
