/**
 * A modal confirmation (native `<dialog>`: focus stays inside, Escape cancels, focus returns
 * to the opener). Focus starts on the safe choice. While the action runs the buttons are
 * disabled; an error is shown inside the dialog.
 */
import { type FormEvent, type ReactNode, useEffect, useId, useRef } from "react";

export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  confirmLabel: string;
  cancelLabel: string;
  danger?: boolean;
  busy: boolean;
  error: string | undefined;
  onConfirm: () => void;
  onCancel: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) {
      dialog.showModal();
      dialog.querySelector<HTMLElement>("[data-autofocus]")?.focus();
    } else if (!props.open && dialog.open) {
      dialog.close();
    }
  }, [props.open]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!props.busy) props.onConfirm();
  };

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      className="dialog"
      onCancel={(event) => {
        event.preventDefault();
        if (!props.busy) props.onCancel();
      }}
    >
      <form onSubmit={submit}>
        <h2 id={titleId}>{props.title}</h2>
        {props.children}
        {props.error && (
          <p className="error" role="alert">
            {props.error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" data-autofocus onClick={props.onCancel} disabled={props.busy}>
            {props.cancelLabel}
          </button>
          <button
            type="submit"
            className={props.danger ? "danger" : "primary"}
            disabled={props.busy}
          >
            {props.busy ? "Working…" : props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
