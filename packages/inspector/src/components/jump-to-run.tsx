/**
 * "Go to run": a run id typed or pasted (from a log line, the CLI, a colleague) opens that run's
 * page. Only the id is needed: `/ui/runs/{run_id}` looks its conversation up.
 */
import { type FormEvent, useId, useState } from "react";
import { navigate, runByIdHref } from "../lib/router.tsx";

export function JumpToRun() {
  const [runId, setRunId] = useState("");
  const inputId = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const id = runId.trim();
    if (id === "") return;
    setRunId("");
    navigate(runByIdHref(id));
  };
  return (
    <form className="jump-to-run" aria-label="Go to a run" onSubmit={submit}>
      <label htmlFor={inputId} className="visually-hidden">
        Run id
      </label>
      <input
        id={inputId}
        type="search"
        className="mono jump-to-run-input"
        placeholder="Go to run id…"
        value={runId}
        onChange={(e) => setRunId(e.target.value)}
        spellCheck={false}
        autoComplete="off"
      />
      <button type="submit">Go</button>
    </form>
  );
}
