/**
 * "Delete run…" (contract §9), offered for an ended run to keys with `runs:write`: asks for
 * confirmation, then `DELETE /runs/{run_id}`, which erases the run and every run it spawned.
 */
import type { AgentRunRecord } from "@runline/client";
import { useState } from "react";
import { useApi } from "../lib/api.tsx";
import { ConfirmDialog } from "./confirm-dialog.tsx";

export function DeleteAction(props: {
  record: AgentRunRecord;
  childRuns: number;
  onDeleted: () => void;
}) {
  const { client, describe } = useApi();
  const { record } = props;
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await client.deleteRun(record.run_id);
      setOpen(false);
      props.onDeleted();
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
        Delete run…
      </button>
      <ConfirmDialog
        open={open}
        title="Delete this run?"
        confirmLabel="Delete run"
        cancelLabel="Keep it"
        danger
        busy={busy}
        error={error}
        onConfirm={() => void confirm()}
        onCancel={() => setOpen(false)}
      >
        <p>
          Run <span className="mono">{record.run_id}</span>
          {props.childRuns > 0 &&
            ` and the ${props.childRuns} run${props.childRuns === 1 ? "" : "s"} it spawned (with theirs)`}{" "}
          will be erased: the event log and the record. Its id cannot be used again for 30 days.
          This cannot be undone.
        </p>
      </ConfirmDialog>
    </>
  );
}
