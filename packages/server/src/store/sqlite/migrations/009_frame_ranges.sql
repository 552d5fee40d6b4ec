-- One conversation_frames row per appended batch instead of per event (issue 15: the frames
-- were one INSERTed row per event on the append path). An event row now stands for a RANGE:
-- `frame_id` and `event_id` are the range's LAST frame and event id, `event_count` its length,
-- so frames frame_id - k and events event_id - k (k < event_count) belong together. A
-- lifecycle frame and every row written before this migration have event_count 1: the same
-- meaning as before. Readers expand ranges (store/conversation-frames.ts).
ALTER TABLE conversation_frames ADD COLUMN event_count INTEGER NOT NULL DEFAULT 1;
