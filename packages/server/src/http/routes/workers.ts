/**
 * Agent worker routes (docs/api.md §5): register, read, heartbeat, claim (long-poll), lease renewal
 * and session. Every route needs the `workers` scope; the `{worker_id}` routes accept that
 * worker's own token or a `workers`-scoped credential of its project (`workers/access.ts`).
 *
 * Long-polling claims end at once, with `{run: null}`, when the client disconnects or the server
 * begins to shut down (`preClose`, before Fastify waits for in-flight requests); during shutdown
 * they answer with `Connection: close` so their socket does not outlive the server.
 */

import {
  ClaimBody,
  HeartbeatBody,
  LeaseBody,
  ProjectReferenceParams,
  RegisterWorkerBody,
  WorkerParams,
  WorkerRunParams,
  WorkerRunSchema,
  WorkerSchema,
  WorkerSessionBody,
  WorkerSessionSchema,
  WorkerWithTokenSchema,
} from "@runline/contract";
import { z } from "zod";
import { toWorkerRun } from "../../domain/records.ts";
import type { RunRow, WorkerRow } from "../../store/types.ts";
import { findCallerWorker, resolveProjectReference } from "../../workers/access.ts";
import { claimRun, DEFAULT_LEASE_SECONDS } from "../../workers/claim-run.ts";
import type { WorkersContext } from "../../workers/context.ts";
import { heartbeat } from "../../workers/heartbeat.ts";
import { putSession } from "../../workers/put-session.ts";
import { registerWorker } from "../../workers/register-worker.ts";
import { renewLease } from "../../workers/renew-lease.ts";
import { toWorkerRecord } from "../../workers/worker-record.ts";
import { issueWorkerToken } from "../../workers/worker-token.ts";
import type { TypedApp } from "../app.ts";

const WORKER = "/agent-workers/workers/:worker_id";
const MaybeRun = z.object({ run: WorkerRunSchema.nullable() });

export function workerRoutes(app: TypedApp, ctx: WorkersContext): void {
  const present = (worker: WorkerRow) =>
    toWorkerRecord(worker, ctx.ledger.now(), ctx.inactiveAfterSeconds);
  const withToken = async (worker: WorkerRow) => ({
    worker: present(worker),
    token: await issueWorkerToken(ctx, worker),
  });
  const maybeRun = (run: RunRow | undefined) => ({ run: run ? toWorkerRun(run) : null });

  /** Claims waiting right now, ended together when the server shuts down. */
  const longPolls = new Set<AbortController>();
  let shuttingDown = false;
  app.addHook("preClose", async () => {
    shuttingDown = true;
    for (const controller of longPolls) controller.abort();
  });

  app.post(
    "/agent-workers/projects/:project_reference/workers",
    {
      config: { scope: "workers" },
      schema: {
        tags: ["workers"],
        operationId: "registerWorker",
        summary: "Register a worker (idempotent per implementation_kind and worker_key)",
        "x-problems": ["metadata_too_large"],
        params: ProjectReferenceParams,
        body: RegisterWorkerBody,
        response: { 200: WorkerWithTokenSchema, 201: WorkerWithTokenSchema },
      },
    },
    async (request, reply) => {
      const projectId = resolveProjectReference(request.auth, request.params.project_reference);
      const { worker, created } = await registerWorker(ctx, projectId, request.body);
      return reply.code(created ? 201 : 200).send(await withToken(worker));
    },
  );

  app.get(
    WORKER,
    {
      config: { scope: "workers" },
      schema: {
        tags: ["workers"],
        operationId: "getWorker",
        summary: "Read a worker (status is derived from its heartbeats)",
        params: WorkerParams,
        response: { 200: z.object({ worker: WorkerSchema }) },
      },
    },
    async (request) => ({
      worker: present(
        await findCallerWorker(ctx.ledger.store, request.auth, request.params.worker_id),
      ),
    }),
  );

  app.post(
    `${WORKER}/heartbeat`,
    {
      config: { scope: "workers" },
      schema: {
        tags: ["workers"],
        operationId: "sendWorkerHeartbeat",
        summary: "Report the worker alive; returns a fresh worker token",
        "x-problems": ["metadata_too_large"],
        params: WorkerParams,
        body: HeartbeatBody,
        response: { 200: WorkerWithTokenSchema },
      },
    },
    async (request) => {
      const worker = await findCallerWorker(
        ctx.ledger.store,
        request.auth,
        request.params.worker_id,
      );
      return withToken(await heartbeat(ctx, worker, request.body));
    },
  );

  app.post(
    `${WORKER}/claim`,
    {
      config: { scope: "workers" },
      schema: {
        tags: ["workers"],
        operationId: "claimRun",
        summary: "Take and lease the oldest claimable run (optionally long-polling)",
        params: WorkerParams,
        body: ClaimBody,
        response: { 200: MaybeRun },
      },
    },
    async (request, reply) => {
      const worker = await findCallerWorker(
        ctx.ledger.store,
        request.auth,
        request.params.worker_id,
      );
      const controller = new AbortController();
      const onClose = () => controller.abort();
      // The response's `close` fires when the connection goes away before it was sent.
      reply.raw.once("close", onClose);
      longPolls.add(controller);
      try {
        const run = await claimRun(ctx, worker, {
          leaseSeconds: request.body.lease_duration_seconds ?? DEFAULT_LEASE_SECONDS,
          waitSeconds: request.body.wait_seconds ?? 0,
          signal: controller.signal,
        });
        return maybeRun(run);
      } finally {
        longPolls.delete(controller);
        reply.raw.off("close", onClose);
        // Answered after server.close() reaped the idle sockets: without this the keep-alive
        // connection would stay open and hold shutdown until the keep-alive timeout.
        if (shuttingDown) reply.header("connection", "close");
      }
    },
  );

  app.post(
    `${WORKER}/runs/:run_id/lease`,
    {
      config: { scope: "workers" },
      schema: {
        tags: ["workers"],
        operationId: "renewRunLease",
        summary: "Renew the lease on a claimed run ({run: null} once it is no longer held)",
        params: WorkerRunParams,
        body: LeaseBody,
        response: { 200: MaybeRun },
      },
    },
    async (request) => {
      const worker = await findCallerWorker(
        ctx.ledger.store,
        request.auth,
        request.params.worker_id,
      );
      const seconds = request.body.lease_duration_seconds ?? DEFAULT_LEASE_SECONDS;
      return maybeRun(await renewLease(ctx, worker, request.params.run_id, seconds));
    },
  );

  app.put(
    `${WORKER}/runs/:run_id/session`,
    {
      config: { scope: "workers" },
      schema: {
        tags: ["workers"],
        operationId: "putWorkerSession",
        summary: "Record the worker's session on a run it holds",
        "x-problems": ["lease_lost", "metadata_too_large"],
        params: WorkerRunParams,
        body: WorkerSessionBody,
        response: { 200: z.object({ session: WorkerSessionSchema }) },
      },
    },
    async (request) => {
      const worker = await findCallerWorker(
        ctx.ledger.store,
        request.auth,
        request.params.worker_id,
      );
      return { session: await putSession(ctx, worker, request.params.run_id, request.body) };
    },
  );
}
