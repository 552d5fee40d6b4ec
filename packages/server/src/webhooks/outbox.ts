/**
 * The webhook outbox writer (docs/api.md §10): a change-journal writer (`store/changes.ts`) that,
 * inside the transaction making a change and before its COMMIT, writes one delivery row per
 * live webhook of the change's project subscribed to its event type. The row commits or rolls
 * back with the change: a committed change is never lost to a crash, and a change that did
 * not happen is never reported.
 */
import { newDeliveryId } from "../domain/ids.ts";
import type { RecordedChange } from "../store/changes.ts";
import type { RunStore, RunStoreTx } from "../store/types.ts";
import type { NewDelivery } from "../store/webhooks.ts";
import { projectOf, webhookBody, webhookEventOf } from "./events.ts";

export class WebhookOutbox {
  /** The transactions (their change lists) that wrote deliveries, for `wroteDeliveries`. */
  readonly #wrote = new WeakSet<readonly RecordedChange[]>();
  #remove: (() => void) | undefined;

  constructor(
    private readonly store: RunStore,
    private readonly now: () => string,
  ) {}

  /** Registers the writer on the store's journal (once). */
  install(): void {
    this.#remove ??= this.store.changes.addWriter((tx, changes) => this.#write(tx, changes));
  }

  uninstall(): void {
    this.#remove?.();
    this.#remove = undefined;
  }

  /** Whether the committed transaction that recorded `changes` wrote deliveries (wake the deliverer). */
  wroteDeliveries(changes: readonly RecordedChange[]): boolean {
    return this.#wrote.has(changes);
  }

  async #write(tx: RunStoreTx, changes: readonly RecordedChange[]): Promise<void> {
    const byProject = new Map<string, RecordedChange[]>();
    for (const change of changes) {
      if (!webhookEventOf(change)) continue;
      const project = projectOf(change);
      byProject.set(project, [...(byProject.get(project) ?? []), change]);
    }
    if (byProject.size === 0) return;
    const at = this.now();
    const rows: NewDelivery[] = [];
    for (const [projectId, projectChanges] of byProject) {
      // One indexed read per transaction that recorded a reportable change; usually empty.
      const webhooks = await tx.webhooks.subscriptions(projectId);
      if (webhooks.length === 0) continue;
      for (const change of projectChanges) {
        const type = webhookEventOf(change)!;
        const subscribed = webhooks.filter((w) => w.events.includes(type));
        if (subscribed.length === 0) continue;
        const payload = webhookBody(type, change, at);
        for (const webhook of subscribed) {
          rows.push({ id: newDeliveryId(), webhook_pk: webhook.pk, type, payload, created_at: at });
        }
      }
    }
    if (rows.length === 0) return;
    await tx.webhooks.insertDeliveries(rows);
    this.#wrote.add(changes);
  }
}
