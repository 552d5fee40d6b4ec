/**
 * The inspector's shell: sign-in gate (the API key lives in sessionStorage), header with
 * navigation and sign-out, and the page for the current URL.
 */
import { useCallback, useState } from "react";
import { ConversationPage } from "./components/conversation-page.tsx";
import { JumpToRun } from "./components/jump-to-run.tsx";
import { NotFoundPage } from "./components/not-found-page.tsx";
import { RunByIdPage } from "./components/run-by-id-page.tsx";
import { RunPage } from "./components/run-page.tsx";
import { RunsPage } from "./components/runs-page.tsx";
import { SignIn } from "./components/sign-in.tsx";
import { ApiProvider } from "./lib/api.tsx";
import { Link, parseRoute, runsHref, useLocation } from "./lib/router.tsx";
import { clearApiKey, loadApiKey, saveApiKey } from "./lib/session.ts";

export function App() {
  const [apiKey, setApiKey] = useState<string | undefined>(loadApiKey);
  const [notice, setNotice] = useState<string | undefined>();

  const signOut = useCallback((message: string) => {
    clearApiKey();
    setApiKey(undefined);
    setNotice(message);
  }, []);

  if (!apiKey) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(key) => {
          saveApiKey(key);
          setNotice(undefined);
          setApiKey(key);
        }}
      />
    );
  }
  return (
    <ApiProvider apiKey={apiKey} onUnauthorized={signOut}>
      <Shell onSignOut={() => signOut("You have signed out.")} />
    </ApiProvider>
  );
}

/** Header, skip link and the routed page. */
function Shell(props: { onSignOut: () => void }) {
  const location = useLocation();
  const route = parseRoute(location.pathname, location.search);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <Link href={runsHref({})} className="brand">
          Runline <span>Inspector</span>
        </Link>
        <nav aria-label="Main">
          <Link href={runsHref({})} aria-current={route.name === "runs" ? "page" : undefined}>
            Runs
          </Link>
        </nav>
        <JumpToRun />
        <button type="button" className="link-button" onClick={props.onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {route.name === "runs" && <RunsPage query={route.query} />}
        {route.name === "conversation" && (
          <ConversationPage key={route.conversationId} conversationId={route.conversationId} />
        )}
        {route.name === "run" && (
          <RunPage
            key={`${route.conversationId}/${route.runId}`}
            conversationId={route.conversationId}
            runId={route.runId}
          />
        )}
        {route.name === "run-by-id" && <RunByIdPage key={route.runId} runId={route.runId} />}
        {route.name === "not-found" && <NotFoundPage path={route.path} />}
      </main>
    </>
  );
}
