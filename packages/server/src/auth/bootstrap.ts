/**
 * First start on an empty database: create a project and an admin key, from
 * RUNLINE_BOOTSTRAP_KEY when set (so scripts know it) or generated and printed once.
 * Starting again with the same key is a no-op. On a database that already has a project, a
 * different key is never taken silently (docs/api.md §12): a new prefix is added to the first
 * project as an admin key, a known prefix with another secret is ignored, and either way the
 * result carries a warning (naming the prefix, never the secret) for the server to log.
 */
import { newUuid } from "../domain/ids.ts";
import type { RunStore } from "../store/types.ts";
import { generateApiKey, parseApiKey, secretMatches } from "./api-keys.ts";
import { SCOPES } from "./auth-context.ts";

export interface BootstrapResult {
  /** The full key when one was created now (print it once), else undefined. */
  createdKey: string | undefined;
  projectId: string | undefined;
  /** What a bootstrap key did on a database that was not empty, for a warning in the log. */
  warning?: string;
}

export async function bootstrap(
  store: RunStore,
  bootstrapKey: string | undefined,
  now: string,
): Promise<BootstrapResult> {
  return store.transaction(async (tx) => {
    await tx.lockBootstrap();
    const existingProject = await tx.firstProjectId();
    const empty = existingProject === undefined;
    const nothing = { createdKey: undefined, projectId: undefined };
    if (!empty) {
      if (!bootstrapKey) return nothing;
      const parsed = parseApiKey(bootstrapKey);
      if (!parsed) return nothing;
      const existing = await tx.getApiKeyByPrefix(parsed.prefix);
      if (existing) {
        if (secretMatches(parsed.secret, existing.secret_hash)) return nothing;
        return {
          ...nothing,
          warning: `RUNLINE_BOOTSTRAP_KEY has prefix ${parsed.prefix}, which an existing key already uses with another secret: ignored, no key was added or changed`,
        };
      }
    }
    const projectId = existingProject ?? newUuid();
    if (empty) await tx.insertProject({ id: projectId, name: "default", created_at: now });
    const { row, key } = generateApiKey(projectId, "bootstrap", SCOPES, now, bootstrapKey);
    await tx.insertApiKey(row);
    return {
      createdKey: bootstrapKey ? undefined : key,
      projectId,
      ...(!empty && {
        warning: `RUNLINE_BOOTSTRAP_KEY has a new prefix ${row.prefix}: added it as an admin key (id ${row.id}) of project ${projectId}, whose earlier keys stay valid; revoke whichever is no longer wanted`,
      }),
    };
  });
}
