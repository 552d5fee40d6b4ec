/**
 * Managing a project's webhooks (docs/api.md §10; the `/webhooks` routes and `runline webhooks`):
 * create (the URL checked against the SSRF rule; the signing secret returned once), list
 * (never a secret), delete (no more deliveries from the moment it commits; the sweeper then
 * purges its deliveries).
 */
import type { WebhookEventType } from "@runline/contract";
import type { AuthContext } from "../auth/auth-context.ts";
import { newWebhookId } from "../domain/ids.ts";
import { Problems } from "../errors.ts";
import type { LedgerContext } from "../ledger/context.ts";
import { keysetPage, type Page } from "../ledger/keyset-page.ts";
import type { DeliveryRow, WebhookRow } from "../store/webhooks.ts";
import { newWebhookSecret } from "./signature.ts";
import { checkWebhookUrl } from "./url-guard.ts";

export interface NewWebhookInput {
  url: string;
  events: readonly WebhookEventType[];
  description?: string | undefined;
}

export async function createWebhook(
  ctx: LedgerContext,
  auth: AuthContext,
  input: NewWebhookInput,
  allowPrivate: boolean,
): Promise<WebhookRow> {
  await checkWebhookUrl(input.url, allowPrivate);
  const row = {
    id: newWebhookId(),
    project_id: auth.projectId,
    url: input.url,
    // Each type once, in the order of first mention.
    events: [...new Set(input.events)],
    description: input.description ?? null,
    secret: newWebhookSecret(),
    created_at: ctx.now(),
  };
  return ctx.store.transaction((tx) => tx.webhooks.insertWebhook(row));
}

export function listWebhooks(ctx: LedgerContext, auth: AuthContext): Promise<WebhookRow[]> {
  return ctx.store.webhooks.listWebhooks(auth.projectId);
}

export async function deleteWebhook(
  ctx: LedgerContext,
  auth: AuthContext,
  id: string,
): Promise<void> {
  const deleted = await ctx.store.transaction((tx) =>
    tx.webhooks.deleteWebhook(auth.projectId, id, ctx.now()),
  );
  if (!deleted) throw Problems.notFound(`Webhook ${id} not found`);
}

/** `GET /webhooks/{id}/deliveries`: newest first, keyset-paged. */
export async function listDeliveries(
  ctx: LedgerContext,
  auth: AuthContext,
  id: string,
  listing: { cursor: string | undefined; limit: number },
): Promise<Page<DeliveryRow>> {
  const webhook = await ctx.store.webhooks.getWebhook(auth.projectId, id);
  if (!webhook) throw Problems.notFound(`Webhook ${id} not found`);
  return keysetPage(
    ctx,
    auth,
    {
      listing: { l: "webhook-deliveries", w: id },
      order: "desc",
      cursor: listing.cursor,
      limit: listing.limit,
    },
    (page) => ctx.store.webhooks.listDeliveries(webhook.pk, page),
  );
}
