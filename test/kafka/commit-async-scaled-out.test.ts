// commitAsync on a scaled-out stream: each batch commits its own offsets in its transactions, so
// the call only checks the ranges, and says (once) when a range skips past what was read.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OffsetCommits, type CommittingStream } from '../../src/direct/offsetCommits.js';
import { resolveKafkaParams } from '../../src/kafka/params.js';

const scaledOut = (next: Record<string, number>): CommittingStream => ({
  params: resolveKafkaParams({ 'bootstrap.servers': '127.0.0.1:1', 'group.id': 'g' }),
  scaledOut: true,
  running: () => true,
  nextOffset: (tp) => next[tp],
  kafka: () => {
    throw new Error('a scaled-out commitAsync must not reach Kafka');
  },
});

describe('commitAsync on a scaled-out stream', () => {
  afterEach(() => vi.restoreAllMocks());

  it('accepts the batches\' own ranges silently, warns once of a range past the position, and commits neither', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const commits = new OffsetCommits(scaledOut({ 't:0': 100, 't:1': 50 }));
    await commits.commitAsync([{ topic: 't', partition: 0, fromOffset: 40, untilOffset: 100 }]);
    expect(warn).not.toHaveBeenCalled();
    await commits.commitAsync([{ topic: 't', partition: 1, fromOffset: 50, untilOffset: 70 }]);
    await commits.commitAsync([{ topic: 't', partition: 0, fromOffset: 100, untilOffset: 900 }]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/t:1 ends at 70, past the stream's position 50.*not committed/);
  });

  it('still refuses malformed ranges', async () => {
    const commits = new OffsetCommits(scaledOut({}));
    await expect(commits.commitAsync([{ topic: 't', partition: 0, fromOffset: 5, untilOffset: 1 }])).rejects.toThrow(/offsetRanges/);
  });
});
