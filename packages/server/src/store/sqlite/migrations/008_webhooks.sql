-- Webhooks (contract §10): a project's subscriptions, and the outbox of their deliveries.
-- Same tables and columns as the PostgreSQL migration, read and written by one shared SQL
-- implementation (store/webhooks.ts).
--
-- A delivery row is written in the same transaction as the change it reports (the outbox) and
-- carries its payload whole, exactly as it is sent: it points at no run, so deleting a run never
-- touches it. Deleting a webhook marks it (`deleted_at`); the retention sweeper then purges its
-- deliveries and the row in bounded batches, and forgets finished deliveries after a while.

CREATE TABLE webhooks (
  pk           INTEGER PRIMARY KEY AUTOINCREMENT,
  id           TEXT NOT NULL UNIQUE,
  project_id   TEXT NOT NULL,
  url          TEXT NOT NULL,
  events       TEXT NOT NULL,
  description  TEXT,
  secret       TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  deleted_at   TEXT
);
-- The outbox writer reads a project's live subscriptions inside every transaction that records
-- a change.
CREATE INDEX webhooks_project ON webhooks (project_id, pk) WHERE deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
  pk                INTEGER PRIMARY KEY AUTOINCREMENT,
  -- The `webhook-id` header: the same on every attempt, so receivers can deduplicate.
  id                TEXT NOT NULL UNIQUE,
  webhook_pk        INTEGER NOT NULL REFERENCES webhooks (pk) ON DELETE CASCADE,
  type              TEXT NOT NULL,
  -- The request body, exactly as sent (and signed).
  payload           TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts          INTEGER NOT NULL DEFAULT 0,
  last_status_code  INTEGER,
  last_error        TEXT,
  -- When the next attempt is due (pending only).
  next_attempt_at   TEXT,
  -- One instance at a time: the claim's owner and until when it holds it.
  claimed_by        TEXT,
  claim_until       TEXT,
  created_at        TEXT NOT NULL,
  -- When it was delivered or given up on: finished deliveries are forgotten after a while.
  finished_at       TEXT
);
-- Listings of one webhook's deliveries, newest first.
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_pk, pk);
-- The deliverer: pending deliveries by due time.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
-- The sweeper: finished deliveries by age.
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE status <> 'pending';
