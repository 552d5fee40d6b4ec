/**
 * The state of an action behind a confirmation dialog: open or not, running or not, the error
 * to show inside the dialog. `confirm` runs the action; the dialog closes when it succeeds.
 */
import { useState } from "react";
import { useApi } from "./api.tsx";

export function useConfirmedAction(action: () => Promise<void>) {
  const { describe } = useApi();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      setOpen(false);
    } catch (caught) {
      setError(describe(caught));
    } finally {
      setBusy(false);
    }
  };

  return {
    open,
    busy,
    error,
    show: () => {
      setError(undefined);
      setOpen(true);
    },
    hide: () => setOpen(false),
    confirm: () => void confirm(),
  };
}
