// A scaled-out copy and Kafka unreachable, without a broker (stand-ins for kafkajs): the group
// member keeps rejoining for retry.timeout.ms — not a fixed number of crashes — and then fails
// naming the brokers and how long it tried, logging the outage once and its end once; other
// crashes (an authorization refused) still fail after a few; a task commit whose outcome is
// unknown because Kafka did not answer closes the task and makes the copy rejoin, instead of
// failing the batch. The same with a real broker stopped and started: broker-outage.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Kafka } from 'kafkajs';
import { GroupMember, MAX_CRASHES, type GroupAssignment } from '../../src/kafka/group.js';
import { TaskCommitFailed } from '../../src/kafka/taskProducer.js';
import { BatchCompletions } from '../../src/scaleout/completions.js';
import { TaskTransactions } from '../../src/scaleout/transactions.js';

/** kafkajs's error for a refused connection, as it wraps it. */
function connectionRefused(): Error {
  const inner = Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9'), { name: 'KafkaJSConnectionError', code: 'ECONNREFUSED' });
  return Object.assign(new Error(inner.message, { cause: inner }), { name: 'KafkaJSNumberOfRetriesExceeded' });
}

function authorizationFailed(): Error {
  return Object.assign(new Error('Not authorized to access group'), { name: 'KafkaJSProtocolError', type: 'GROUP_AUTHORIZATION_FAILED', code: 30, retriable: false });
}

type Handler = (e: { payload: Record<string, unknown> }) => void;

/** Consumers whose connect fails while `down()` says so; `crash(e)` crashes the current one; `assign()` gives the current one an assignment. */
function fakeKafka(down: () => unknown) {
  let current: { handlers: Map<string, Handler[]> } | undefined;
  let generation = 0;
  const emit = (event: string, payload: Record<string, unknown>): void => {
    for (const h of current?.handlers.get(event) ?? []) h({ payload });
  };
  const kafka = {
    consumer: () => {
      const handlers = new Map<string, Handler[]>();
      const c = {
        handlers,
        events: { GROUP_JOIN: 'join', HEARTBEAT: 'heartbeat', CRASH: 'crash', DISCONNECT: 'disconnect' },
        on: (event: string, h: Handler) => void handlers.set(event, [...(handlers.get(event) ?? []), h]),
        connect: async () => {
          const e = down();
          if (e) throw e;
        },
        subscribe: async () => undefined,
        run: async () => undefined,
        pause: () => undefined,
        disconnect: async () => undefined,
      };
      current = c;
      return c;
    },
  } as unknown as Kafka;
  return {
    kafka,
    crash: (error: unknown) => emit('crash', { error }),
    assign: () => {
      generation++;
      emit('join', { memberId: `m${generation}`, memberAssignment: { t: [0, 1] } });
      emit('heartbeat', { memberId: `m${generation}`, groupGenerationId: generation });
    },
  };
}

function member(kafka: Kafka, retryTimeoutMs: number) {
  const logs: string[] = [];
  const lost: Array<string | undefined> = [];
  const assigned: GroupAssignment[] = [];
  const errors: Error[] = [];
  const m = new GroupMember(kafka, {
    groupId: 'g',
    topics: ['t'],
    sessionTimeoutMs: 6000,
    heartbeatIntervalMs: 500,
    retryTimeoutMs,
    brokers: ['127.0.0.1:9'],
    onAssigned: (a) => void assigned.push(a),
    onLost: (r) => void lost.push(r),
    onError: (e) => void errors.push(e as Error),
    log: (l) => void logs.push(l),
  });
  return { m, logs, lost, assigned, errors };
}

describe('the group member while Kafka is unreachable', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('keeps rejoining for retry.timeout.ms (not a fixed number of crashes), logs once, then fails naming the brokers and how long it tried', async () => {
    let isDown = false;
    const k = fakeKafka(() => (isDown ? connectionRefused() : undefined));
    const x = member(k.kafka, 60_000);
    await x.m.start();
    k.assign();
    expect(x.assigned.map((a) => a.generation)).toEqual([1]);
    isDown = true;
    k.crash(connectionRefused());
    await vi.advanceTimersByTimeAsync(50_000);
    // Many crashes in 50 s (every new member's connect refused), and still trying.
    expect(x.lost.length).toBeGreaterThan(MAX_CRASHES + 1);
    expect(x.errors).toEqual([]);
    expect(x.logs.filter((l) => /unreachable/.test(l))).toHaveLength(1);
    expect(x.logs[0]).toMatch(/^Kafka 127\.0\.0\.1:9 unreachable \(KafkaJSNumberOfRetriesExceeded: Connection error: connect ECONNREFUSED.*retry\.timeout\.ms = 60 s/);
    // The first loss is said (its tasks are lost), the later ones are not (no line per attempt).
    expect(x.lost[0]).toMatch(/group member crashed: .*ECONNREFUSED.*; a new member joins in 500 ms/);
    expect(x.lost.slice(1).every((r) => r === undefined)).toBe(true);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(x.errors).toHaveLength(1);
    expect(x.errors[0]!.message).toMatch(/^Kafka 127\.0\.0\.1:9 unreachable for 6\d(\.\d)? s \(retry\.timeout\.ms 60000\): the copy could not rejoin group g \(\d+ attempts\); last: .*ECONNREFUSED/);
    await x.m.stop();
  });

  it('Kafka back within the budget: a new member is assigned; the end of the outage is logged once, when the copy has its tasks again', async () => {
    let isDown = false;
    const k = fakeKafka(() => (isDown ? connectionRefused() : undefined));
    const x = member(k.kafka, 120_000);
    await x.m.start();
    k.assign();
    isDown = true;
    k.crash(connectionRefused());
    await vi.advanceTimersByTimeAsync(30_000);
    isDown = false;
    await vi.advanceTimersByTimeAsync(6_000); // the next member connects
    k.assign();
    expect(x.assigned.map((a) => a.generation)).toEqual([1, 2]);
    expect(x.logs.filter((l) => /reachable again/.test(l))).toEqual([]);
    x.m.recovered(2);
    x.m.recovered(2);
    expect(x.logs.filter((l) => /reachable again/.test(l))).toHaveLength(1);
    expect(x.logs.at(-1)).toMatch(/^Kafka 127\.0\.0\.1:9 reachable again: the copy is back in group g, with its tasks, after 3\d(\.\d)? s/);
    expect(x.errors).toEqual([]);
    await x.m.stop();
  });

  it('crashes that are no outage (an authorization refused) still fail after a few, whatever retry.timeout.ms', async () => {
    let connects = 0;
    const k = fakeKafka(() => (++connects > 1 ? authorizationFailed() : undefined));
    const x = member(k.kafka, 3_600_000);
    await x.m.start();
    k.assign();
    k.crash(authorizationFailed());
    await vi.advanceTimersByTimeAsync(30_000);
    expect(x.errors).toHaveLength(1);
    expect(x.errors[0]!.message).toBe(`the consumer group member crashed ${MAX_CRASHES + 1} times in a row without being assigned; last: KafkaJSProtocolError: Not authorized to access group`);
    expect(x.logs.filter((l) => /unreachable/.test(l))).toEqual([]);
    await x.m.stop();
  });
});

describe('a task commit while Kafka is unreachable', () => {
  /** Batch 1000 read tasks 0 and 1; each task's producer fails its transaction with `error`. */
  function transactions(error: unknown) {
    const owned = new Set([0, 1]);
    const producers = new Map([0, 1].map((t) => [t, { commitBatch: async () => Promise.reject(error) }]));
    const logs: string[] = [];
    const rejoins: Array<{ reason: string; cause: unknown }> = [];
    const completions = new BatchCompletions();
    completions.generated(1000);
    const assignment = {
      generation: 5,
      tasks: owned,
      started: new Map(),
      producer: (t: number) => producers.get(t),
      lostSince: () => false,
      lose: (t: number) => {
        owned.delete(t);
        producers.delete(t);
      },
    };
    const tx = new TaskTransactions({
      positions: 'app-positions',
      changelogs: [],
      completions,
      assignment: assignment as never,
      partitionsOf: () => 2,
      rangesAt: () => [0, 1].map((p) => ({ topic: 'in', partition: p, fromOffset: 0, untilOffset: 5 })),
      forget: () => undefined,
      isStopped: () => false,
      rejoin: (reason, cause) => void rejoins.push({ reason, cause }),
      log: (l) => void logs.push(l),
    });
    return { tx, owned, logs, rejoins, completions, producer: (t: number) => producers.get(t) };
  }

  it('its outcome unknown: the tasks are closed and the copy rejoins the group once; the batch does not fail', async () => {
    const x = transactions(new TaskCommitFailed(connectionRefused(), false));
    await x.tx.commitBatch(1000);
    expect([...x.owned]).toEqual([]);
    expect(x.rejoins).toHaveLength(1);
    expect(x.rejoins[0]!.reason).toMatch(/^batch 1000: tasks \[0,1\] not committed, Kafka did not answer \(Connection error: connect ECONNREFUSED/);
    expect(x.logs).toHaveLength(1);
    expect(x.logs[0]).toMatch(/they are closed .*; the copy joins the group again and restores them from their last commit$/);
    expect(x.completions.isDone(1000)).toBe(true);
  });

  it('nothing visible (it never began): tried again without a line per try, then closed and rejoined', async () => {
    vi.useFakeTimers();
    try {
      const x = transactions(new TaskCommitFailed(connectionRefused(), true));
      const done = x.tx.commitBatch(1000);
      await vi.advanceTimersByTimeAsync(60_000);
      await done;
      expect([...x.owned]).toEqual([]);
      expect(x.rejoins).toHaveLength(1);
      expect(x.logs).toHaveLength(1);
      expect(x.logs[0]).toMatch(/^batch 1000: tasks \[0,1\] not committed, Kafka did not answer \(.*ECONNREFUSED.*\): they are closed/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('nothing visible and Kafka answers on the next try: committed, nothing closed', async () => {
    vi.useFakeTimers();
    try {
      const x = transactions(new TaskCommitFailed(connectionRefused(), true));
      const failures = new Map([[0, 1], [1, 1]]);
      for (const t of [0, 1]) {
        (x.producer(t) as { commitBatch: () => Promise<Map<string, number>> }).commitBatch = async () => {
          if ((failures.get(t) ?? 0) > 0) {
            failures.set(t, failures.get(t)! - 1);
            throw new TaskCommitFailed(connectionRefused(), true);
          }
          return new Map();
        };
      }
      const done = x.tx.commitBatch(1000);
      await vi.advanceTimersByTimeAsync(5_000);
      await done;
      expect([...x.owned]).toEqual([0, 1]);
      expect(x.rejoins).toEqual([]);
      expect(x.logs).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a real error (a record refused) still fails the batch', async () => {
    const refused = Object.assign(new Error('The request included a message larger than the max message size the server will accept'), {
      name: 'KafkaJSProtocolError',
      type: 'MESSAGE_TOO_LARGE',
      retriable: false,
    });
    const x = transactions(new TaskCommitFailed(refused, false));
    await expect(x.tx.commitBatch(1000)).rejects.toThrow(/larger than the max message size/);
    expect(x.rejoins).toEqual([]);
    expect(x.completions.isDone(1000)).toBe(true);
  });
});
