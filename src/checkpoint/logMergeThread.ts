/**
 * The merge thread's entry (LogMerger.ts): each message is one stream's stored log; the answer is
 * its merged snapshot's encoded chunks, or the error that stopped it (code and message: a
 * CheckpointError does not cross threads as itself).
 */
import { parentPort } from 'node:worker_threads';
import { CheckpointError } from '../util/checkpointErrors.js';
import { mergeStoredLog } from './logMerge.js';
import type { MergeReply, MergeRequest } from './LogMerger.js';

const port = parentPort!;
port.on('message', (m: MergeRequest) => {
  let reply: MergeReply;
  try {
    reply = { id: m.id, chunks: mergeStoredLog(m.dir, m.log, m.size) };
  } catch (err) {
    reply = { id: m.id, error: { code: err instanceof CheckpointError ? err.code : undefined, message: err instanceof Error ? err.message : String(err) } };
  }
  port.postMessage(reply);
});
