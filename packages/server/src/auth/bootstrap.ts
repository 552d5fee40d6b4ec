/**
 * First start on an empty database: create a project and an admin key, from
 * RUNLINE_BOOTSTRAP_KEY when set (so scripts know it) or generated and printed once.
 * Starting again with the same key is a no-op; a new bootstrap key is added to the first project.
 */
import { newUuid } from "../domain/ids.ts";
import type { RunStore } from "../store/types.ts";
import { generateApiKey, parseApiKey } from "./api-keys.ts";
import { SCOPES } from "./auth-context.ts";

export interface BootstrapResult {
  /** The full key when one was created now (print it once), else undefined. */
  createdKey: string | undefined;
  projectId: string | undefined;
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
    if (!empty) {
      if (!bootstrapKey) return { createdKey: undefined, projectId: undefined };
      const parsed = parseApiKey(bootstrapKey);
      if (!parsed || (await tx.getApiKeyByPrefix(parsed.prefix))) {
        return { createdKey: undefined, projectId: undefined };
      }
    }
    const projectId = existingProject ?? newUuid();
    if (empty) await tx.insertProject({ id: projectId, name: "default", created_at: now });
    const { row, key } = generateApiKey(projectId, "bootstrap", SCOPES, now, bootstrapKey);
    await tx.insertApiKey(row);
    return { createdKey: bootstrapKey ? undefined : key, projectId };
  });
}
