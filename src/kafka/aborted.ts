/**
 * Read-committed filtering of fetched records (Kafka's READ_COMMITTED isolation, as kafkajs's
 * consumer does it): a Fetch sent with isolation level 1 stops at the last stable offset and
 * lists the transactions aborted in the part it returns (`producerId`, `firstOffset`). A record
 * written inside one of those transactions is dropped; the abort marker (a control record with
 * key 0x00000000) ends it. Pure: the client calls it on each partition's messages.
 */

/** What the filter needs of a fetched message (kafkajs's decoded record). */
export interface TransactionalMessage {
  offset: string;
  key: Buffer | null;
  isControlRecord?: boolean;
  batchContext?: { producerId: string; inTransaction: boolean };
}

export interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);

/** The messages of `messages` written in aborted transactions (control records are not among them: the caller skips those anyway). */
export function abortedIn<M extends TransactionalMessage>(messages: readonly M[], aborted: readonly AbortedTransaction[] | undefined): Set<M> {
  const out = new Set<M>();
  if (!aborted || aborted.length === 0) return out;
  const upcoming = [...aborted].sort((a, b) => Number(a.firstOffset) - Number(b.firstOffset));
  const open = new Set<string>();
  for (const m of messages) {
    const offset = Number(m.offset);
    while (upcoming.length > 0 && offset >= Number(upcoming[0]!.firstOffset)) open.add(upcoming.shift()!.producerId);
    const producerId = m.batchContext?.producerId;
    if (producerId === undefined) continue;
    if (m.isControlRecord) {
      if (m.key !== null && Buffer.from(m.key).equals(ABORT_MARKER_KEY)) open.delete(producerId);
      continue;
    }
    if (open.has(producerId) && m.batchContext!.inTransaction) out.add(m);
  }
  return out;
}
