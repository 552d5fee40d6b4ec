/**
 * Follow a run live (docs/api.md §4.5): `GET {family}/stream`, Server-Sent Events.
 *
 * Everything that can be refused is refused before the first byte, as problem JSON: a bad
 * `Last-Event-ID` / `after_event_id` (400), too many streams (503 / 429), an unknown run (404).
 * Then the reply is hijacked and `live/run-stream.ts` writes the stream. Shutdown ends every
 * stream (a `preClose` hook), so `app.close()` never waits on a follower. A HEAD request (which
 * Fastify routes to the GET handler) gets the same checks and headers, and no stream.
 */

import { ConversationParams, EventIdQuery } from "@runline/contract";
import type { FastifyReply } from "fastify";
import { z } from "zod";
import { credentialKey } from "../../auth/auth-context.ts";
import { URL_TOKEN_PARAM } from "../../auth/authenticate.ts";
import { Problems } from "../../errors.ts";
import type { LedgerContext } from "../../ledger/context.ts";
import { getConversationStream } from "../../ledger/conversations.ts";
import { getRun } from "../../ledger/read-runs.ts";
import type { Live } from "../../live/live.ts";
import type { TypedApp } from "../app.ts";
import { ALL_FAMILIES, addressOf } from "./families.ts";

const EVENT_ID = /^\d{1,15}$/;
const NOT_AN_EVENT_ID = "must be a non-negative integer";

const StreamQuery = z.object({
  after_event_id: EventIdQuery.optional(),
  [URL_TOKEN_PARAM]: z
    .string()
    .optional()
    .describe("A JWT, for EventSource (which cannot send headers); API keys are refused here"),
});

const SseFrames = z
  .string()
  .describe("`retry:`, then `id:` / `event:` / `data:` frames and `: ping` comments");
const ConversationStreamQuery = z.object({
  after: EventIdQuery.optional(),
  [URL_TOKEN_PARAM]: z
    .string()
    .optional()
    .describe("A JWT, for EventSource (which cannot send headers); API keys are refused here"),
});

const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
} as const;

const DESCRIPTION = [
  "Server-Sent Events: `retry: 2000` first, then one frame per event",
  "(`id: <event_id>`, `event: <PascalCase type>`, `data: <event JSON>`, blank line), and a",
  "`: ping` comment every heartbeat interval. Starts after the `Last-Event-ID` header (which wins)",
  "or `?after_event_id=`, else from the first event; replays the log, then follows it live;",
  "closes right after RUN_FINISHED / RUN_ERROR. A reader that falls too far behind is",
  "disconnected and resumes with Last-Event-ID.",
].join(" ");

const CONVERSATION_DESCRIPTION = [
  "Server-Sent Events (docs/api.md §8): every event of every run of the conversation — those that",
  "exist and those created later — in commit order, then live, with lifecycle frames between",
  "them. Frames: `id: <conversation frame id>` (1, 2, 3… per conversation, strictly increasing;",
  "gaps only where runs were deleted), `event: <PascalCase AG-UI type>` with",
  '`data: {"run_id", "event_id", "event"}`, or `event: run.created | run.status` (data: the',
  "canonical run summary) and `input_request.created|submitted|cancelled|expired` /",
  "`interrupt.opened|closed` (data: the record, secrets removed). Starts after `Last-Event-ID`",
  "(which wins) or `?after=`; heartbeats, buffers and limits as a run's stream; never closes by",
  "itself.",
].join(" ");

/** Where the stream starts: the Last-Event-ID header wins over the query (a reconnect). */
function startAfter(header: string | string[] | undefined, query: number | undefined): number {
  const value = Array.isArray(header) ? header[header.length - 1] : header;
  if (value !== undefined && value.trim() !== "") {
    if (!EVENT_ID.test(value.trim())) {
      throw Problems.invalidRequest(`Invalid request: headers.last-event-id ${NOT_AN_EVENT_ID}`, [
        { path: "headers.last-event-id", message: NOT_AN_EVENT_ID },
      ]);
    }
    return Number(value.trim());
  }
  return query ?? 0;
}

export function streamRoutes(app: TypedApp, ledger: LedgerContext, live: Live): void {
  app.addHook("preClose", async () => {
    await live.endStreams();
  });

  for (const family of ALL_FAMILIES) {
    app.get(
      `${family.prefix}/stream`,
      {
        config: { scope: "agent-runs:read", urlToken: true },
        schema: {
          tags: ["events"],
          operationId: family.operationId("stream", "Events"),
          summary: "Follow a run live (SSE), resuming after Last-Event-ID",
          description: DESCRIPTION,
          params: family.params,
          querystring: StreamQuery,
          response: {
            200: {
              description: "The event stream (SSE frames, see the operation's description)",
              content: { "text/event-stream": { schema: SseFrames } },
            },
          },
        },
      },
      async (request, reply) => {
        const after = startAfter(request.headers["last-event-id"], request.query.after_event_id);
        if (request.method === "HEAD") {
          await getRun(ledger.store, request.auth, addressOf(request.params));
          return reply.headers(SSE_HEADERS).code(200).send();
        }
        await live.openStream({
          credential: credentialKey(request.auth),
          project: request.auth.projectId,
          after,
          findRun: () => getRun(ledger.store, request.auth, addressOf(request.params)),
          begin: () => hijackForSse(reply),
        });
        return reply;
      },
    );
  }

  app.get(
    "/conversations/:conversation_id/stream",
    {
      config: { scope: "agent-runs:read", urlToken: true },
      schema: {
        tags: ["conversations"],
        operationId: "followConversation",
        summary: "Follow a conversation live (SSE): every run's events and lifecycle frames",
        description: CONVERSATION_DESCRIPTION,
        params: ConversationParams,
        querystring: ConversationStreamQuery,
        response: {
          200: {
            description: "The conversation's frames (SSE, see the operation's description)",
            content: { "text/event-stream": { schema: SseFrames } },
          },
        },
      },
    },
    async (request, reply) => {
      const after = startAfter(request.headers["last-event-id"], request.query.after);
      const findStream = () =>
        getConversationStream(ledger, request.auth, request.params.conversation_id);
      if (request.method === "HEAD") {
        await findStream();
        return reply.headers(SSE_HEADERS).code(200).send();
      }
      await live.openConversationStream({
        credential: credentialKey(request.auth),
        project: request.auth.projectId,
        after,
        findStream,
        begin: () => hijackForSse(reply),
      });
      return reply;
    },
  );
}

/** Takes the response over from Fastify and writes the SSE head (keeping headers set so far). */
function hijackForSse(reply: FastifyReply) {
  reply.hijack();
  const response = reply.raw;
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) response.setHeader(name, value);
  }
  response.writeHead(200, SSE_HEADERS);
  if (!response.socket || response.socket.destroyed) response.destroy();
  else response.socket.setNoDelay(true);
  return response;
}
