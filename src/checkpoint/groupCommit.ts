/**
 * Group commit's policy (the Checkpointer applies it, CheckpointStore writes the groups): how many
 * completed batches may wait for their commit's write, and how long a commit waits for company
 * while batches come fast. A crash re-runs the completed batches whose commits were not written.
 */

/**
 * Group commit's bound: batches completed whose commits are not written yet. A batch that would
 * be one more waits for the oldest write; a crash re-runs at most this many completed batches —
 * MAX_UNWRITTEN_FAST_BATCHES when batches come less than GROUP_LINGER_MS apart.
 */
export const MAX_UNWRITTEN_BATCHES = 4;

/**
 * Group commit: when batches complete less than this apart, the state streams defer their deltas
 * (deferDelta) and the commit waits this long for the next batches' commits, or until its group
 * holds MAX_GROUP_BATCHES of them: batches of a few ms then share one delta per stream (each key
 * once), one batch record and one write. Slower batches are written as they come.
 */
export const GROUP_LINGER_MS = 20;

/** The commits a lingering group waits for (GROUP_LINGER_MS). */
export const MAX_GROUP_BATCHES = 8;

/**
 * The bound of unwritten batches while batches come less than GROUP_LINGER_MS apart: a group of
 * MAX_GROUP_BATCHES being written and the next one lingering. A crash then re-runs at most this
 * many batches, each of a few ms (where 4 batches of a second are 4 s of input). With the bound
 * of 4, at most three batches shared a delta and a write: at 10 k keys, ~6 k changed a batch,
 * groups of 8 took the checkpoint's JS per batch from ~0.23 to ~0.13 ms (bench/checkpoint.ts).
 */
export const MAX_UNWRITTEN_FAST_BATCHES = 2 * MAX_GROUP_BATCHES;
