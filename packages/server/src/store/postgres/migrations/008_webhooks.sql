-- Webhooks (contract §10): a project's subscriptions, and the outbox of their deliveries.
-- Same tables and columns as the SQLite migration, read and written by one shared SQL
-- implementation (store/webhooks.ts): timestamps are ISO-8601 UTC text (`…sssZ`, so text order
-- is time order) and JSON documents text, as in SQLite.
--
-- A delivery row is written in the same transaction as the change it reports (the outbox) and
-- carries its payload whole, exactly as it is sent: it points at no run, so deleting a run never
-- touches it. Deleting a webhook marks it (`deleted_at`); the retention sweeper then purges its
-- deliveries and the row in bounded batches, and forgets finished deliveries after a while.

CREATE TABLE webhooks (
  pk           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id           text NOT NULL UNIQUE,
  project_id   text NOT NULL,
  url          text NOT NULL,
  events       text NOT NULL,
  description  text,
  secret       text NOT NULL,
  created_at   text NOT NULL,
  deleted_at   text
);
-- The outbox writer reads a project's live subscriptions inside every transaction that records
-- a change.
CREATE INDEX webhooks_project ON webhooks (project_id, pk) WHERE deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
  pk                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The `webhook-id` header: the same on every attempt, so receivers can deduplicate.
  id                text NOT NULL UNIQUE,
  webhook_pk        bigint NOT NULL REFERENCES webhooks (pk) ON DELETE CASCADE,
  type              text NOT NULL,
  -- The request body, exactly as sent (and signed).
  payload           text NOT NULL,
  status            text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts          integer NOT NULL DEFAULT 0,
  last_status_code  integer,
  last_error        text,
  -- When the next attempt is due (pending only).
  next_attempt_at   text,
  -- One instance at a time: the claim's owner and until when it holds it.
  claimed_by        text,
  claim_until       text,
  created_at        text NOT NULL,
  -- When it was delivered or given up on: finished deliveries are forgotten after a while.
  finished_at       text
);
-- Listings of one webhook's deliveries, newest first.
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_pk, pk);
-- The deliverer: pending deliveries by due time.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
-- The sweeper: finished deliveries by age.
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE status <> 'pending';
