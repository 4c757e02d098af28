// The pure parts of scale-out: the task assigner, Kafka's partitioner, read-committed filtering.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { abortedIn } from '../../src/kafka/aborted.js';
import { StreamingContext } from '../../src/index.js';
import { assignTasks } from '../../src/kafka/group.js';
import { assignStandbys, decodeMemberTasks } from '../../src/kafka/standbys.js';
import { keyString, murmur2, partitionForKey } from '../../src/kafka/partitioner.js';
import { TaskAssignment } from '../../src/scaleout/assignment.js';
import { BatchCompletions } from '../../src/scaleout/completions.js';

const require = createRequire(import.meta.url);
// kafkajs's own murmur2 (what its DefaultPartitioner uses): ours must match it bit for bit.
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: string | Buffer) => number;

describe('assignTasks (task p = partition p of every topic)', () => {
  const tasks = [0, 1, 2, 3, 4, 5];

  it('spreads tasks evenly: counts differ by at most one, every task once', () => {
    for (const members of [['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b', 'c', 'd'], ['a', 'b', 'c', 'd', 'e', 'f', 'g']]) {
      const out = assignTasks(members, tasks);
      const counts = [...out.values()].map((l) => l.length);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      expect([...out.values()].flat().sort()).toEqual(tasks);
    }
  });

  it('is sticky: a member that joins takes tasks from the others, the others keep the rest', () => {
    const before = assignTasks(['a', 'b', 'c'], tasks);
    const after = assignTasks(['a', 'b', 'c', 'd'], tasks, before);
    let moved = 0;
    for (const m of ['a', 'b', 'c']) moved += before.get(m)!.filter((t) => !after.get(m)!.includes(t)).length;
    expect(moved).toBe(after.get('d')!.length);
    expect(after.get('d')!.length).toBe(1);
  });

  it('gives only the dead member’s tasks to the survivors', () => {
    const before = assignTasks(['a', 'b', 'c'], tasks);
    const after = assignTasks(['a', 'c'], tasks, before);
    for (const m of ['a', 'c']) for (const t of before.get(m)!) expect(after.get(m)).toContain(t);
  });
});

describe('partitionForKey (Kafka’s default partitioner)', () => {
  it('murmur2 equals kafkajs’s (and so the Java client’s)', () => {
    for (const k of ['', 'a', 'to', 'abc', 'hello', 'the question', 'ünïcödé', 'x'.repeat(101)]) {
      expect(murmur2(Buffer.from(k, 'utf8'))).toBe(kafkajsMurmur2(Buffer.from(k, 'utf8')));
    }
  });

  it('puts a key where kafkajs’s DefaultPartitioner puts a message with that key', () => {
    for (const k of ['w0', 'w1', 'word', 'scale-out']) {
      expect(partitionForKey(k, 6)).toBe((kafkajsMurmur2(Buffer.from(k)) & 0x7fffffff) % 6);
    }
  });

  it('sends non-string keys as their JSON', () => {
    expect(keyString(42)).toBe('42');
    expect(keyString(['a', 1])).toBe('["a",1]');
    expect(() => keyString(undefined)).toThrow(/JSON-serialisable/);
  });
});

describe('abortedIn (read committed)', () => {
  const m = (offset: number, producerId: string, opts: { control?: boolean; abort?: boolean; txn?: boolean } = {}) => ({
    offset: String(offset),
    key: opts.control ? Buffer.from(opts.abort ? [0, 0, 0, 0] : [0, 0, 0, 1]) : Buffer.from('k'),
    isControlRecord: opts.control ?? false,
    batchContext: { producerId, inTransaction: opts.txn ?? true },
  });

  it('drops the records of an aborted transaction up to its abort marker, keeps the rest', () => {
    const msgs = [m(0, '7'), m(1, '8'), m(2, '7'), m(3, '7', { control: true, abort: true }), m(4, '7'), m(5, '8', { control: true })];
    const dropped = abortedIn(msgs, [{ producerId: '7', firstOffset: '0' }]);
    expect([...dropped].map((x) => x.offset)).toEqual(['0', '2']);
  });

  it('drops nothing without aborted transactions', () => {
    expect(abortedIn([m(0, '7')], undefined).size).toBe(0);
  });
});

describe('standby replicas (assignStandbys, the join user data)', () => {
  const active = new Map([
    ['a', [0, 1]],
    ['b', [2, 3]],
    ['c', [4, 5]],
  ]);

  it('gives each task its standbys on members other than its owner, spread evenly', () => {
    for (const replicas of [1, 2]) {
      const out = assignStandbys(active, replicas);
      for (const t of [0, 1, 2, 3, 4, 5]) {
        const holders = [...out].filter(([, ts]) => ts.includes(t)).map(([m]) => m);
        expect(holders).toHaveLength(replicas);
        for (const m of holders) expect(active.get(m)).not.toContain(t);
      }
      const counts = [...out.values()].map((l) => l.length);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
    // One member: nobody else to hold a standby.
    expect(assignStandbys(new Map([['a', [0, 1]]]), 1).get('a')).toEqual([]);
  });

  it('keeps standbys where they are warm, and gives a freed task to the member that holds it warm', () => {
    const warm = new Map([['c', [2, 3]]]);
    expect(assignStandbys(active, 1, warm).get('c')).toEqual(expect.arrayContaining([2, 3]));
    // b died: its tasks 2 and 3 go to c, which followed them, not to a.
    const after = assignTasks(['a', 'c'], [0, 1, 2, 3, 4, 5], new Map([['a', [0, 1]], ['c', [4, 5]]]), new Map([['a', [4]], ['c', [2, 3]]]));
    expect(after.get('c')).toEqual(expect.arrayContaining([2]));
  });

  it('reads a member’s announced tasks, and the bare array of older copies', () => {
    expect(decodeMemberTasks(Buffer.from('{"active":[1],"standby":[2,3]}'))).toEqual({ active: [1], standby: [2, 3] });
    expect(decodeMemberTasks(Buffer.from('[4,5]'))).toEqual({ active: [4, 5], standby: [] });
    expect(decodeMemberTasks(Buffer.from('not json'))).toEqual({ active: [], standby: [] });
  });
});

describe('the standbyReplicas option', () => {
  it('needs an applicationId and a non-negative integer', () => {
    expect(() => new StreamingContext({ batchDuration: 500, standbyReplicas: 1 })).toThrow(/standbyReplicas needs an applicationId/);
    expect(() => new StreamingContext({ batchDuration: 500, applicationId: 'x', standbyReplicas: -1 })).toThrow(/standbyReplicas must be a non-negative integer/);
  });
});

describe('TaskAssignment: a fence met by a batch of an earlier ownership', () => {
  /** A TaskAssignment with stand-ins for Kafka (producers that open and close, offsets) and one changelog. */
  function assignment() {
    const changelog = { topic: 'app-state-changelog', drop: () => undefined, keepOnly: () => undefined, restore: async () => ({ keys: 0, fromLocal: 0, read: 0 }) };
    const client = {
      // open() fences with an empty transaction (TaskProducer): begun and aborted.
      kafka: { producer: () => ({ connect: async () => undefined, transaction: async () => ({ abort: async () => undefined }), disconnect: async () => undefined }) },
      committedOffsets: async () => new Map<string, number>([['in:0', 40]]),
      topicBounds: async (topics: string[]) => topics.map((topic) => ({ topic, partition: 0, low: 0, high: 50 })),
      read: async (ranges: unknown[]) => ranges.map(() => []),
    };
    const completions = new BatchCompletions();
    const a = new TaskAssignment({
      applicationId: 'app',
      standbyReplicas: 0,
      positions: 'app-positions',
      internalTopics: new Map(),
      changelogs: [changelog as never],
      completions,
      standbys: { pause: async () => undefined, resume: () => undefined, has: () => false, take: () => new Map(), follow: () => undefined, assign: async () => [] } as never,
      kafkaParams: () => ({ autoOffsetReset: 'latest' }) as never,
      inputsNow: async () => undefined,
      client: () => client as never,
      isStopped: () => false,
      post: () => undefined,
      fail: (e: unknown) => {
        throw e;
      },
      rejoin: () => undefined,
      log: () => undefined,
    });
    return { a, completions };
  }
  const task0 = [{ topic: 'in', partition: 0 }];

  it('regained while a batch of the old ownership is fenced: the task stays owned, read and committed alike', async () => {
    const { a, completions } = assignment();
    a.assigned({ generation: 5, memberId: 'm1', partitions: task0 } as never);
    await a.settled();
    completions.generated(100); // batch 100 reads task 0 (generation 5)
    a.lost('the group member crashed'); // every task lost
    a.assigned({ generation: 7, memberId: 'm2', partitions: task0 } as never); // task 0 back: its gain waits for batch 100
    await new Promise((r) => setTimeout(r, 20));
    // Batch 100's write of task 0 is refused: another copy wrote it at generation 6.
    expect(a.fenced(0, 100)).toBe(false);
    completions.done(100);
    await a.settled();
    expect([...a.tasks]).toEqual([0]);
    expect([...a.ready.keys()]).toEqual(['in:0']);
    expect(a.producer(0)).toBeDefined();
    // A batch of the new ownership that meets a fence loses the task.
    completions.generated(200);
    expect(a.fenced(0, 200)).toBe(true);
    expect([...a.tasks]).toEqual([]);
    expect([...a.ready.keys()]).toEqual([]);
    expect(a.producer(0)).toBeUndefined();
  });
});
