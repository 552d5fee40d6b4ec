/** The shapes of identifiers a client may choose (docs/api.md §1). */

/** Run ids (client-chosen `public_id` or generated): 1–128 of `[A-Za-z0-9_.:-]`. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Agent ids: 1–128 of `[A-Za-z0-9_-]`. */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
