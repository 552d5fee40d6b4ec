/**
 * Sign-in: asks for an API key, checks it against the server (listing one run), then hands it
 * to the app, which keeps it in sessionStorage. The key is never put in a URL.
 */
import { RunlineError } from "@runline/client";
import { type FormEvent, useEffect, useId, useState } from "react";
import { createClient, describeError } from "../lib/api.tsx";

export function SignIn(props: { notice: string | undefined; onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState("");
  const [show, setShow] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const inputId = useId();
  const hintId = useId();
  const errorId = useId();

  useEffect(() => {
    document.title = "Sign in · Runline Inspector";
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) {
      setError("Enter an API key.");
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await createClient(trimmed).listRuns({ limit: 1 });
      props.onSignedIn(trimmed);
    } catch (caught) {
      if (caught instanceof RunlineError && caught.status === 401) {
        setError("The server did not accept this key.");
      } else if (caught instanceof RunlineError && caught.status === 403) {
        setError("This key cannot read runs: it needs the agent-runs:read scope.");
      } else {
        setError(describeError(caught));
      }
      setBusy(false);
    }
  };

  return (
    <main id="main" className="sign-in">
      <h1>
        Runline <span>Inspector</span>
      </h1>
      {props.notice && (
        <p className="notice" role="status">
          {props.notice}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <label htmlFor={inputId}>API key</label>
        <input
          id={inputId}
          name="api-key"
          type={show ? "text" : "password"}
          autoComplete="off"
          spellCheck={false}
          placeholder="vf_…"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          aria-describedby={error ? `${hintId} ${errorId}` : hintId}
          aria-invalid={error ? true : undefined}
          // biome-ignore lint/a11y/noAutofocus: the only field of a sign-in page
          autoFocus
        />
        <p id={hintId} className="hint">
          Kept only in this browser tab (sessionStorage) and sent as an Authorization header.
        </p>
        <label className="checkbox">
          <input type="checkbox" checked={show} onChange={(e) => setShow(e.target.checked)} /> Show
          key
        </label>
        {error && (
          <p id={errorId} className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
