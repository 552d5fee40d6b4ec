/**
 * Storage of webhooks (docs/api.md §10): a project's subscriptions (`webhooks`) and the outbox of
 * their deliveries (`webhook_deliveries`), in the tables of migration 008. As with human input
 * (`human-input.ts`), one implementation serves both stores: plain SQL with `?` placeholders,
 * ISO-8601 UTC text timestamps and JSON as text; each store supplies a runner for its
 * transaction connection (`RunStoreTx.webhooks`) and one for committed reads
 * (`RunStore.webhooks`).
 *
 * Delivery is one instance at a time per row: `claimDue` marks due rows with a claim (owner and
 * expiry) in one statement — on PostgreSQL its row selection is `FOR UPDATE SKIP LOCKED`, so
 * concurrent claims from several instances take disjoint rows; SQLite has one writer — and
 * `finishAttempt` writes an attempt's outcome only while the claim is still the caller's.
 */
import type { KeysetPage, SqlRunner } from "./human-input.ts";

export type DeliveryStatus = "pending" | "delivered" | "failed";

export interface WebhookRow {
  /** Keyset and join key; never on the wire. */
  pk: number;
  id: string;
  project_id: string;
  url: string;
  events: string[];
  description: string | null;
  /** `whsec_<base64>`: shown once, at creation. */
  secret: string;
  created_at: string;
  deleted_at: string | null;
}

export type NewWebhook = Omit<WebhookRow, "pk" | "deleted_at">;

export interface DeliveryRow {
  pk: number;
  /** The `webhook-id` header. */
  id: string;
  webhook_pk: number;
  type: string;
  /** The request body, exactly as sent. */
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  claimed_by: string | null;
  claim_until: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface NewDelivery {
  id: string;
  webhook_pk: number;
  type: string;
  payload: string;
  created_at: string;
}

/** A claimed delivery and where to send it. */
export interface ClaimedDelivery {
  delivery: DeliveryRow;
  url: string;
  secret: string;
}

/** What one attempt came to. */
export interface AttemptOutcome {
  status: DeliveryStatus;
  statusCode: number | null;
  error: string | null;
  /** The next attempt's due time (`pending`), else null. */
  nextAttemptAt: string | null;
  at: string;
}

/** Reads of committed data. */
export interface WebhookReads {
  /** A webhook of the project that is not deleted. */
  getWebhook(projectId: string, id: string): Promise<WebhookRow | undefined>;
  /** The project's webhooks that are not deleted, oldest first. */
  listWebhooks(projectId: string): Promise<WebhookRow[]>;
  listDeliveries(webhookPk: number, page: KeysetPage): Promise<DeliveryRow[]>;
  getDelivery(id: string): Promise<DeliveryRow | undefined>;
  /**
   * The earliest instant a pending delivery of a live webhook becomes claimable (its due time,
   * or the end of its current claim), if any.
   */
  nextDue(): Promise<string | undefined>;
}

/** Writes (and reads that must see them) inside one transaction. */
export interface WebhookTx {
  insertWebhook(row: NewWebhook): Promise<WebhookRow>;
  /** Marks the project's webhook deleted; false when there is none (or it is deleted already). */
  deleteWebhook(projectId: string, id: string, at: string): Promise<boolean>;
  /** The project's live webhooks (what the outbox writer matches changes against). */
  subscriptions(projectId: string): Promise<WebhookRow[]>;
  /** Inserts pending deliveries, due at their `created_at`. */
  insertDeliveries(rows: readonly NewDelivery[]): Promise<void>;
  /**
   * Claims up to `limit` pending deliveries of live webhooks due at `now` and not claimed (or
   * whose claim ended), oldest due first, for `claimedBy` until `claimUntil`.
   */
  claimDue(
    now: string,
    claimedBy: string,
    claimUntil: string,
    limit: number,
  ): Promise<ClaimedDelivery[]>;
  /** Records an attempt; false when the claim is no longer `claimedBy`'s (nothing written). */
  finishAttempt(pk: number, claimedBy: string, outcome: AttemptOutcome): Promise<boolean>;
  /** Gives a claim up without counting an attempt (shutdown): another instance may take it. */
  releaseClaim(pk: number, claimedBy: string): Promise<void>;
  /**
   * Removes up to `limit` rows the sweeper may forget: deliveries of deleted webhooks, then
   * deleted webhooks without deliveries, then deliveries that finished before `finishedBefore`.
   * Returns the number of rows removed.
   */
  purge(finishedBefore: string, limit: number): Promise<number>;
}

type Row = Record<string, unknown>;

const WEBHOOK_COLUMNS = [
  "id",
  "project_id",
  "url",
  "events",
  "description",
  "secret",
  "created_at",
] as const satisfies readonly (keyof NewWebhook)[];

const nullableNumber = (value: unknown) => (value === null ? null : Number(value));

function decodeWebhook(row: Row): WebhookRow {
  return {
    ...(row as unknown as WebhookRow),
    pk: Number(row.pk),
    events: JSON.parse(row.events as string) as string[],
  };
}

function decodeDelivery(row: Row): DeliveryRow {
  return {
    ...(row as unknown as DeliveryRow),
    pk: Number(row.pk),
    webhook_pk: Number(row.webhook_pk),
    attempts: Number(row.attempts),
    last_status_code: nullableNumber(row.last_status_code),
  };
}

const LIVE_WEBHOOK =
  "EXISTS (SELECT 1 FROM webhooks w WHERE w.pk = d.webhook_pk AND w.deleted_at IS NULL)";

export function webhookReads(run: SqlRunner): WebhookReads {
  return {
    getWebhook: async (projectId, id) => {
      const rows = await run(
        "SELECT * FROM webhooks WHERE project_id = ? AND id = ? AND deleted_at IS NULL",
        [projectId, id],
      );
      return rows[0] && decodeWebhook(rows[0]);
    },
    listWebhooks: async (projectId) =>
      (
        await run(
          "SELECT * FROM webhooks WHERE project_id = ? AND deleted_at IS NULL ORDER BY pk",
          [projectId],
        )
      ).map(decodeWebhook),
    listDeliveries: async (webhookPk, page) => {
      const params: unknown[] = [webhookPk];
      let after = "";
      if (page.afterPk !== undefined) {
        after = page.order === "desc" ? "AND pk < ?" : "AND pk > ?";
        params.push(page.afterPk);
      }
      params.push(page.limit);
      const rows = await run(
        `SELECT * FROM webhook_deliveries WHERE webhook_pk = ? ${after}
          ORDER BY pk ${page.order === "desc" ? "DESC" : "ASC"} LIMIT ?`,
        params,
      );
      return rows.map(decodeDelivery);
    },
    getDelivery: async (id) => {
      const rows = await run("SELECT * FROM webhook_deliveries WHERE id = ?", [id]);
      return rows[0] && decodeDelivery(rows[0]);
    },
    nextDue: async () => {
      const rows = await run(
        `SELECT MIN(CASE WHEN d.claim_until > d.next_attempt_at THEN d.claim_until
                         ELSE d.next_attempt_at END) AS next
           FROM webhook_deliveries d WHERE d.status = 'pending' AND ${LIVE_WEBHOOK}`,
        [],
      );
      return (rows[0]?.next as string | null | undefined) ?? undefined;
    },
  };
}

/**
 * The transaction operations. `lockClause` ends the claim's row selection: PostgreSQL's
 * `FOR UPDATE SKIP LOCKED` (concurrent claims pass over each other's rows), nothing on SQLite.
 */
export function webhookTx(run: SqlRunner, lockClause: string): WebhookTx {
  return {
    insertWebhook: async (row) => {
      const values = WEBHOOK_COLUMNS.map((column) =>
        column === "events" ? JSON.stringify(row.events) : row[column],
      );
      const rows = await run(
        `INSERT INTO webhooks (${WEBHOOK_COLUMNS.join(", ")})
         VALUES (${WEBHOOK_COLUMNS.map(() => "?").join(", ")}) RETURNING *`,
        values,
      );
      return decodeWebhook(rows[0] as Row);
    },
    deleteWebhook: async (projectId, id, at) => {
      const rows = await run(
        `UPDATE webhooks SET deleted_at = ?
          WHERE project_id = ? AND id = ? AND deleted_at IS NULL RETURNING pk`,
        [at, projectId, id],
      );
      return rows.length > 0;
    },
    subscriptions: async (projectId) =>
      (
        await run(
          "SELECT * FROM webhooks WHERE project_id = ? AND deleted_at IS NULL ORDER BY pk",
          [projectId],
        )
      ).map(decodeWebhook),
    insertDeliveries: async (rows) => {
      // A few rows per statement keeps the parameter count far below either engine's limit.
      for (let i = 0; i < rows.length; i += 50) {
        const chunk = rows.slice(i, i + 50);
        await run(
          `INSERT INTO webhook_deliveries
             (id, webhook_pk, type, payload, status, attempts, next_attempt_at, created_at)
           VALUES ${chunk.map(() => "(?, ?, ?, ?, 'pending', 0, ?, ?)").join(", ")}`,
          chunk.flatMap((d) => [d.id, d.webhook_pk, d.type, d.payload, d.created_at, d.created_at]),
        );
      }
    },
    claimDue: async (now, claimedBy, claimUntil, limit) => {
      const claimed = (
        await run(
          `UPDATE webhook_deliveries SET claimed_by = ?, claim_until = ?
            WHERE pk IN (
              SELECT d.pk FROM webhook_deliveries d
               WHERE d.status = 'pending' AND d.next_attempt_at <= ?
                 AND (d.claim_until IS NULL OR d.claim_until <= ?)
                 AND ${LIVE_WEBHOOK}
               ORDER BY d.next_attempt_at LIMIT ? ${lockClause})
           RETURNING *`,
          [claimedBy, claimUntil, now, now, limit],
        )
      ).map(decodeDelivery);
      if (claimed.length === 0) return [];
      const webhookPks = [...new Set(claimed.map((d) => d.webhook_pk))];
      const webhooks = new Map(
        (
          await run(
            `SELECT pk, url, secret FROM webhooks WHERE pk IN (${webhookPks.map(() => "?").join(", ")})`,
            webhookPks,
          )
        ).map((row) => [Number(row.pk), row]),
      );
      return claimed
        .sort((a, b) => (a.next_attempt_at ?? "").localeCompare(b.next_attempt_at ?? ""))
        .flatMap((delivery) => {
          const webhook = webhooks.get(delivery.webhook_pk);
          return webhook
            ? [{ delivery, url: webhook.url as string, secret: webhook.secret as string }]
            : [];
        });
    },
    finishAttempt: async (pk, claimedBy, outcome) => {
      const finished = outcome.status === "pending" ? null : outcome.at;
      const rows = await run(
        `UPDATE webhook_deliveries
            SET status = ?, attempts = attempts + 1, last_status_code = ?, last_error = ?,
                next_attempt_at = ?, finished_at = ?, claimed_by = NULL, claim_until = NULL
          WHERE pk = ? AND claimed_by = ? AND status = 'pending' RETURNING pk`,
        [
          outcome.status,
          outcome.statusCode,
          outcome.error,
          outcome.nextAttemptAt,
          finished,
          pk,
          claimedBy,
        ],
      );
      return rows.length > 0;
    },
    releaseClaim: async (pk, claimedBy) => {
      await run(
        `UPDATE webhook_deliveries SET claimed_by = NULL, claim_until = NULL
          WHERE pk = ? AND claimed_by = ? RETURNING pk`,
        [pk, claimedBy],
      );
    },
    purge: async (finishedBefore, limit) => {
      let removed = 0;
      const step = async (sql: string, params: unknown[]) => {
        const budget = limit - removed;
        if (budget <= 0) return;
        removed += (await run(sql, [...params, budget])).length;
      };
      await step(
        `DELETE FROM webhook_deliveries WHERE pk IN (
           SELECT d.pk FROM webhook_deliveries d
            WHERE EXISTS (SELECT 1 FROM webhooks w WHERE w.pk = d.webhook_pk AND w.deleted_at IS NOT NULL)
            LIMIT ?) RETURNING pk`,
        [],
      );
      await step(
        `DELETE FROM webhooks WHERE pk IN (
           SELECT w.pk FROM webhooks w
            WHERE w.deleted_at IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.webhook_pk = w.pk)
            LIMIT ?) RETURNING pk`,
        [],
      );
      await step(
        `DELETE FROM webhook_deliveries WHERE pk IN (
           SELECT pk FROM webhook_deliveries
            WHERE status <> 'pending' AND finished_at < ? LIMIT ?) RETURNING pk`,
        [finishedBefore],
      );
      return removed;
    },
  };
}
