/**
 * Storage of conversation streams (docs/api.md §8): each conversation's frame counter
 * (`conversation_streams`) and its frames (`conversation_frames`), tables of migration 007.
 * One implementation serves both stores, with `?` placeholders as in `human-input.ts`.
 *
 * A run's events get ONE row per appended batch: the range of `event_count` frames ending at
 * `frame_id`, pointing at the events ending at `event_id` (migration 009). Reading expands the
 * range, joining each event row and wrapping its JSON text verbatim — no second copy of any
 * event. A lifecycle frame is a row of its own with its name and data (`event_count` 1).
 *
 * Numbering: `appendFrames` bumps the conversation's counter by the number of frames and takes
 * the ids it reserved. On PostgreSQL the bump holds the counter row until COMMIT, which is what
 * makes ids commit in order (a transaction that got id n commits before anyone gets n+1); so
 * callers bump as late as possible in their transaction (the journal writer runs just before
 * COMMIT; the append fast path is one statement). Other conversations never wait on it.
 */
import { eventName } from "../live/sse-frames.ts";
import type { SqlRunner } from "./human-input.ts";
import type { StoredEvent } from "./types.ts";

/**
 * Frames to write: `count` consecutive events of a run ending at `lastEventId` (one row, `count`
 * frame ids), or one lifecycle frame (name and data).
 */
export type NewFrame =
  | { runPk: number; lastEventId: number; count: number }
  | { runPk: number; name: string; data: string };

/** How many frame ids a `NewFrame` takes. */
export const frameCount = (frame: NewFrame): number => ("count" in frame ? frame.count : 1);

/** Where a conversation's stream stands. */
export interface ConversationStreamRow {
  pk: number;
  project_id: string;
  conversation_id: string;
  latest_frame_id: number;
}

/** A conversation's position after a commit: for live fan-out (this and other instances). */
export interface StreamPosition {
  projectId: string;
  streamPk: number;
  latestFrameId: number;
}

export interface ConversationFramesTx {
  /** Creates the conversation's stream unless it exists. */
  ensureStream(projectId: string, conversationId: string): Promise<void>;
  /**
   * Numbers `frames` with the conversation's next ids (in order; an event range takes one id
   * per event) and inserts them; returns the stream's new position. Creates the stream if it
   * is missing.
   */
  appendFrames(
    projectId: string,
    conversationId: string,
    frames: readonly NewFrame[],
  ): Promise<StreamPosition>;
  /** The project and conversation of each of these runs (by pk). */
  conversationsOfRuns(
    runPks: readonly number[],
  ): Promise<Map<number, { projectId: string; conversationId: string }>>;
}

export interface ConversationFramesReads {
  stream(projectId: string, conversationId: string): Promise<ConversationStreamRow | undefined>;
  /**
   * Frames with ids above `afterFrameId`, ascending, at most `limit` (frames of deleted runs
   * skipped); event ranges expanded into one frame per event.
   */
  readFrames(streamPk: number, afterFrameId: number, limit: number): Promise<StoredEvent[]>;
}

/**
 * PostgreSQL: bump the counter and insert the numbered rows, one statement. `ends` are the
 * rows' last frame ids counted from the first new one (1-based running totals of their sizes).
 */
const POSTGRES_APPEND_FRAMES = `WITH stream AS (
    UPDATE conversation_streams SET latest_frame_id = latest_frame_id + ?::bigint
     WHERE project_id = ? AND conversation_id = ? RETURNING pk, latest_frame_id
  ), frames AS (
    INSERT INTO conversation_frames (stream_pk, frame_id, run_pk, event_id, event_count, name, data)
    SELECT stream.pk, stream.latest_frame_id - ?::bigint + f.frame_end,
           f.run_pk, f.event_id, f.event_count, f.name, f.data
      FROM stream,
           unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::integer[], ?::text[], ?::text[])
             AS f (frame_end, run_pk, event_id, event_count, name, data)
  )
  SELECT pk, latest_frame_id FROM stream`;

/** Rows per multi-row INSERT (7 parameters each). */
const MAX_ROWS_PER_INSERT = 100;

type Row = Record<string, unknown>;

/**
 * A frame as read: `event_id` is the frame id, `event_type` the SSE event name (already final:
 * the PascalCase AG-UI type, or the lifecycle name), `json` the `data:` line.
 */
export class ConversationFrameRow implements StoredEvent {
  readonly created_at = "";
  constructor(
    readonly event_id: number,
    readonly event_type: string,
    readonly json: string,
  ) {}

  get event(): never {
    throw new Error("a conversation frame has no AG-UI event of its own");
  }
}

/**
 * `dialect` "postgres" numbers and inserts a batch in one statement (one round trip while the
 * counter row is held); SQLite has no data-modifying CTEs, and no round trips to save.
 */
export function conversationFramesTx(
  run: SqlRunner,
  dialect: "sqlite" | "postgres",
): ConversationFramesTx {
  const ensureStream = async (projectId: string, conversationId: string) => {
    await run(
      `INSERT INTO conversation_streams (project_id, conversation_id, latest_frame_id)
       VALUES (?, ?, 0) ON CONFLICT (project_id, conversation_id) DO NOTHING`,
      [projectId, conversationId],
    );
  };
  const bump = (projectId: string, conversationId: string, count: number) =>
    run(
      `UPDATE conversation_streams SET latest_frame_id = latest_frame_id + ?
        WHERE project_id = ? AND conversation_id = ? RETURNING pk, latest_frame_id`,
      [count, projectId, conversationId],
    );
  return {
    ensureStream,
    appendFrames: async (projectId, conversationId, frames) => {
      let total = 0;
      const ends = frames.map((frame) => (total += frameCount(frame)));
      if (dialect === "postgres") {
        const numbered = async () =>
          (
            await run(POSTGRES_APPEND_FRAMES, [
              total,
              projectId,
              conversationId,
              total,
              ends,
              frames.map((f) => f.runPk),
              frames.map((f) => ("count" in f ? f.lastEventId : null)),
              frames.map(frameCount),
              frames.map((f) => ("count" in f ? null : f.name)),
              frames.map((f) => ("count" in f ? null : f.data)),
            ])
          )[0];
        let row = await numbered();
        if (!row) {
          await ensureStream(projectId, conversationId);
          row = await numbered();
        }
        if (!row) throw new Error(`conversation stream ${conversationId} could not be created`);
        return {
          projectId,
          streamPk: Number(row.pk),
          latestFrameId: Number(row.latest_frame_id),
        };
      }
      let rows = await bump(projectId, conversationId, total);
      if (rows.length === 0) {
        await ensureStream(projectId, conversationId);
        rows = await bump(projectId, conversationId, total);
      }
      const row = rows[0];
      if (!row) throw new Error(`conversation stream ${conversationId} could not be created`);
      const streamPk = Number(row.pk);
      const latest = Number(row.latest_frame_id);
      const first = latest - total;
      for (let i = 0; i < frames.length; i += MAX_ROWS_PER_INSERT) {
        const chunk = frames.slice(i, i + MAX_ROWS_PER_INSERT);
        await run(
          `INSERT INTO conversation_frames (stream_pk, frame_id, run_pk, event_id, event_count, name, data)
           VALUES ${chunk.map(() => "(?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
          chunk.flatMap((frame, j) => [
            streamPk,
            first + ends[i + j]!,
            frame.runPk,
            "count" in frame ? frame.lastEventId : null,
            frameCount(frame),
            "count" in frame ? null : frame.name,
            "count" in frame ? null : frame.data,
          ]),
        );
      }
      return { projectId, streamPk, latestFrameId: latest };
    },
    conversationsOfRuns: async (runPks) => {
      const found = new Map<number, { projectId: string; conversationId: string }>();
      if (runPks.length === 0) return found;
      const rows = await run(
        `SELECT pk, project_id, conversation_id FROM runs WHERE pk IN (${runPks.map(() => "?").join(", ")})`,
        runPks,
      );
      for (const row of rows) {
        found.set(Number(row.pk), {
          projectId: row.project_id as string,
          conversationId: row.conversation_id as string,
        });
      }
      return found;
    },
  };
}

/**
 * Committed reads. `eventText` spells the event row's JSON as text in the dialect
 * (`e.data` in SQLite, `e.data::text` in PostgreSQL, where the column is `json`).
 */
export function conversationFramesReads(
  run: SqlRunner,
  eventText: string,
): ConversationFramesReads {
  return {
    stream: async (projectId, conversationId) => {
      const rows = await run(
        `SELECT pk, project_id, conversation_id, latest_frame_id FROM conversation_streams
          WHERE project_id = ? AND conversation_id = ?`,
        [projectId, conversationId],
      );
      const row = rows[0];
      return (
        row && {
          pk: Number(row.pk),
          project_id: row.project_id as string,
          conversation_id: row.conversation_id as string,
          latest_frame_id: Number(row.latest_frame_id),
        }
      );
    },
    readFrames: async (streamPk, afterFrameId, limit) => {
      // At most `limit` rows of live runs (each holds at least one frame above `afterFrameId`,
      // since a row's frame_id is its range's last), then their events above `afterFrameId`:
      // the frame of event e in a range is frame_id - (event_id - e).
      const rows = await run(
        `SELECT f.frame_id, f.event_id AS last_event_id, f.name, f.data, f.run_id,
                e.event_id, e.event_type, ${eventText} AS event_data
           FROM (SELECT f.frame_id, f.run_pk, f.event_id, f.event_count, f.name, f.data, r.run_id
                   FROM conversation_frames f
                   JOIN runs r ON r.pk = f.run_pk AND r.deleted_at IS NULL
                  WHERE f.stream_pk = ? AND f.frame_id > ?
                  ORDER BY f.frame_id
                  LIMIT ?) f
           LEFT JOIN run_events e
             ON f.event_id IS NOT NULL AND e.run_pk = f.run_pk
            AND e.event_id > f.event_id - f.event_count
            AND e.event_id <= f.event_id
            AND e.event_id > f.event_id - f.frame_id + ?
          ORDER BY f.frame_id, e.event_id
          LIMIT ?`,
        [streamPk, afterFrameId, limit, afterFrameId, limit],
      );
      const frames: StoredEvent[] = [];
      for (const row of rows) frames.push(...decodeFrame(row));
      return frames;
    },
  };
}

function decodeFrame(row: Row): StoredEvent[] {
  if (row.last_event_id === null || row.last_event_id === undefined) {
    return [new ConversationFrameRow(Number(row.frame_id), row.name as string, row.data as string)];
  }
  // The event rows are being purged (their run was deleted meanwhile): the frames go with them.
  if (typeof row.event_data !== "string") return [];
  const eventId = Number(row.event_id);
  const frameId = Number(row.frame_id) - (Number(row.last_event_id) - eventId);
  // Verbatim: the event's stored JSON text is spliced in, never parsed and re-serialised.
  const data = `{"run_id":${JSON.stringify(row.run_id)},"event_id":${eventId},"event":${row.event_data}}`;
  return [new ConversationFrameRow(frameId, eventName(row.event_type as string), data)];
}
