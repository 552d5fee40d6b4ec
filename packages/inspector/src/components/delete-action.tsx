/**
 * "Delete run…" (docs/api.md §9), offered for an ended run to keys with `runs:write`: asks for
 * confirmation, then `DELETE /runs/{run_id}`, which erases the run and every run it spawned.
 */
import type { AgentRunRecord } from "@runline/client";
import { useApi } from "../lib/api.tsx";
import { useConfirmedAction } from "../lib/use-confirmed-action.ts";
import { ConfirmDialog } from "./confirm-dialog.tsx";

export function DeleteAction(props: {
  record: AgentRunRecord;
  childRuns: number;
  onDeleted: () => void;
}) {
  const { client } = useApi();
  const { record } = props;
  const dialog = useConfirmedAction(async () => {
    await client.deleteRun(record.run_id);
    props.onDeleted();
  });

  return (
    <>
      <button type="button" className="danger" onClick={dialog.show}>
        Delete run…
      </button>
      <ConfirmDialog
        open={dialog.open}
        title="Delete this run?"
        confirmLabel="Delete run"
        cancelLabel="Keep it"
        danger
        busy={dialog.busy}
        error={dialog.error}
        onConfirm={dialog.confirm}
        onCancel={dialog.hide}
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
