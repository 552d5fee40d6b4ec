/** Webhooks (docs/api.md §10): subscriptions of the caller's project and their deliveries — scope `admin`. */

import {
  CreatedWebhookSchema,
  CreateWebhookBody,
  pageOf,
  WebhookDeliveryListQuery,
  WebhookDeliverySchema,
  WebhookParams,
  WebhookSchema,
} from "@runline/contract";
import { z } from "zod";
import type { LedgerContext } from "../../ledger/context.ts";
import {
  createWebhook,
  deleteWebhook,
  listDeliveries,
  listWebhooks,
} from "../../webhooks/admin.ts";
import { toDeliveryRecord, toWebhookRecord } from "../../webhooks/records.ts";
import type { TypedApp } from "../app.ts";

const TAGS = ["webhooks"];

export interface WebhookRouteDeps {
  ledger: LedgerContext;
  /** RUNLINE_WEBHOOKS_ALLOW_PRIVATE. */
  allowPrivate: boolean;
}

export function webhookRoutes(app: TypedApp, deps: WebhookRouteDeps): void {
  const { ledger } = deps;

  app.post(
    "/webhooks",
    {
      config: { scope: "admin" },
      schema: {
        tags: TAGS,
        operationId: "createWebhook",
        summary: "Subscribe a URL to run and human-input changes (the secret is shown only here)",
        description:
          "Deliveries follow the Standard Webhooks specification: POST with webhook-id, " +
          "webhook-timestamp and webhook-signature (v1, HMAC-SHA256 with the secret). " +
          "400 invalid_webhook_url for a URL that is not http(s) or whose host is, or resolves " +
          "to, a loopback, private or link-local address.",
        body: CreateWebhookBody,
        response: { 201: CreatedWebhookSchema },
      },
    },
    async (request, reply) => {
      const row = await createWebhook(ledger, request.auth, request.body, deps.allowPrivate);
      return reply
        .code(201)
        .header("cache-control", "no-store")
        .send({ ...toWebhookRecord(row), secret: row.secret });
    },
  );

  app.get(
    "/webhooks",
    {
      config: { scope: "admin" },
      schema: {
        tags: TAGS,
        operationId: "listWebhooks",
        summary: "List the project's webhooks, oldest first (never a secret)",
        response: { 200: z.object({ data: z.array(WebhookSchema) }) },
      },
    },
    async (request) => ({
      data: (await listWebhooks(ledger, request.auth)).map(toWebhookRecord),
    }),
  );

  app.delete(
    "/webhooks/:id",
    {
      config: { scope: "admin" },
      schema: {
        tags: TAGS,
        operationId: "deleteWebhook",
        summary: "Delete a webhook: nothing more is delivered to it",
        params: WebhookParams,
        response: { 204: z.null().describe("Deleted") },
      },
    },
    async (request, reply) => {
      await deleteWebhook(ledger, request.auth, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/webhooks/:id/deliveries",
    {
      config: { scope: "admin" },
      schema: {
        tags: TAGS,
        operationId: "listWebhookDeliveries",
        summary: "A webhook's deliveries, newest first (a delivery's id is its webhook-id)",
        params: WebhookParams,
        querystring: WebhookDeliveryListQuery,
        response: { 200: pageOf(WebhookDeliverySchema) },
      },
    },
    async (request) => {
      const page = await listDeliveries(ledger, request.auth, request.params.id, {
        cursor: request.query.cursor,
        limit: request.query.limit,
      });
      return { data: page.data.map(toDeliveryRecord), page_info: page.page_info };
    },
  );
}
