/**
 * For a run waiting on a tool call: a form to submit the result (text or JSON, optionally as
 * an error), confirmed before `POST …/tool-result`.
 */
import type { AgentRunRecord } from "@runline/client";
import { type FormEvent, useId, useState } from "react";
import { useApi } from "../lib/api.tsx";
import { ConfirmDialog } from "./confirm-dialog.tsx";

type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

function parse(text: string, asJson: boolean): Parsed {
  if (!asJson) return { ok: true, value: text };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: `Not valid JSON: ${error instanceof Error ? error.message : ""}` };
  }
}

export function ToolResultAction(props: {
  record: AgentRunRecord;
  onDone: (message: string) => void;
}) {
  const { client, describe } = useApi();
  const { record } = props;
  const toolCallId = record.waiting_tool_call_id ?? "";
  const [text, setText] = useState("");
  const [asJson, setAsJson] = useState(false);
  const [isError, setIsError] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const [confirming, setConfirming] = useState<unknown>(undefined);
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const ids = { result: useId(), problem: useId(), kind: useId() };

  const review = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parse(text, asJson);
    if (!parsed.ok) {
      setProblem(parsed.error);
      return;
    }
    setProblem(undefined);
    setConfirming(parsed.value);
    setError(undefined);
    setOpen(true);
  };

  const submit = async () => {
    setBusy(true);
    try {
      const reply = await client.submitToolResult(record.conversation_id, record.run_id, {
        toolCallId,
        result: confirming,
        isError,
      });
      setOpen(false);
      setText("");
      props.onDone(
        reply.duplicate ? "That result had already been submitted." : "Tool result submitted.",
      );
    } catch (caught) {
      setError(describe(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel waiting" aria-labelledby={`${ids.result}-h`}>
      <h2 id={`${ids.result}-h`}>Waiting for a tool result</h2>
      <p>
        The run waits for the result of{" "}
        <span className="mono">{record.waiting_tool_name ?? "a tool"}</span> (call{" "}
        <span className="mono">{toolCallId}</span>).
      </p>
      <form onSubmit={review} className="tool-result-form">
        <label htmlFor={ids.result}>Result</label>
        <textarea
          id={ids.result}
          rows={2}
          value={text}
          onChange={(e) => setText(e.target.value)}
          spellCheck={false}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? ids.problem : undefined}
        />
        <fieldset className="inline">
          <legend>Send as</legend>
          <label className="checkbox">
            <input
              type="radio"
              name={ids.kind}
              checked={!asJson}
              onChange={() => setAsJson(false)}
            />{" "}
            Text
          </label>
          <label className="checkbox">
            <input type="radio" name={ids.kind} checked={asJson} onChange={() => setAsJson(true)} />{" "}
            JSON
          </label>
          <label className="checkbox">
            <input
              type="checkbox"
              checked={isError}
              onChange={(e) => setIsError(e.target.checked)}
            />{" "}
            Report as an error
          </label>
        </fieldset>
        {problem && (
          <p id={ids.problem} className="error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" className="primary">
          Submit result…
        </button>
      </form>
      <ConfirmDialog
        open={open}
        title="Submit this tool result?"
        confirmLabel="Submit result"
        cancelLabel="Back"
        busy={busy}
        error={error}
        onConfirm={() => void submit()}
        onCancel={() => setOpen(false)}
      >
        <p>
          For tool call <span className="mono">{toolCallId}</span>
          {isError ? ", reported as an error" : ""}. The run continues once it is recorded.
        </p>
        <pre className="code">{JSON.stringify(confirming, null, 2)}</pre>
      </ConfirmDialog>
    </section>
  );
}
