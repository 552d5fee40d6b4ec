/**
 * `/ui/runs/{run_id}`: a run known only by id (e.g. a parent). Looks up its conversation and
 * replaces the URL with the run's page.
 */
import { useEffect, useState } from "react";
import { isAbort, useApi } from "../lib/api.tsx";
import { navigate, runHref } from "../lib/router.tsx";
import { PageHeading } from "./page-heading.tsx";

export function RunByIdPage(props: { runId: string }) {
  const { client, describe } = useApi();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    const controller = new AbortController();
    client
      .getRun(props.runId, { signal: controller.signal })
      .then((run) => navigate(runHref(run.owner.id, run.run_id), { replace: true }))
      .catch((caught: unknown) => {
        if (!isAbort(caught)) setError(describe(caught));
      });
    return () => controller.abort();
  }, [client, describe, props.runId]);
  return (
    <div className="page">
      <PageHeading title={`Run ${props.runId}`} />
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : (
        <p role="status">Finding the run…</p>
      )}
    </div>
  );
}
