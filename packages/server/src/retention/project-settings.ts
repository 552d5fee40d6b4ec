/**
 * Per-project settings (docs/api.md §9): `retention_days` overrides RUNLINE_RETENTION_DAYS for
 * the caller's project — null inherits the server default, 0 keeps runs forever.
 */
import type { AuthContext } from "../auth/auth-context.ts";
import { Problems } from "../errors.ts";
import type { LedgerContext } from "../ledger/context.ts";
import type { ProjectRetention } from "../store/retention.ts";

export interface ProjectSettings {
  project_id: string;
  retention_days: number | null;
  /** What the sweeper applies: `retention_days`, else the server default (0 = forever). */
  effective_retention_days: number;
}

export function effectiveRetentionDays(
  project: Pick<ProjectRetention, "retention_days">,
  serverDefault: number,
): number {
  return project.retention_days ?? serverDefault;
}

function present(project: ProjectRetention | undefined, serverDefault: number): ProjectSettings {
  // The caller's own project always exists (its credential belongs to it).
  if (!project) throw Problems.notFound("Project not found");
  return {
    project_id: project.project_id,
    retention_days: project.retention_days,
    effective_retention_days: effectiveRetentionDays(project, serverDefault),
  };
}

export async function getProjectSettings(
  ctx: LedgerContext,
  auth: AuthContext,
  serverDefault: number,
): Promise<ProjectSettings> {
  return present(await ctx.store.retention.projectRetention(auth.projectId), serverDefault);
}

export async function putProjectSettings(
  ctx: LedgerContext,
  auth: AuthContext,
  input: { retention_days: number | null },
  serverDefault: number,
): Promise<ProjectSettings> {
  const project = await ctx.store.transaction((tx) =>
    tx.retention.setRetentionDays(auth.projectId, input.retention_days),
  );
  return present(project, serverDefault);
}
