// The consumer group of a scaled-out job is deleted while every copy is down (what Kafka does to a
// group left empty for offsets.retention.minutes): its internal topics are intact, only the
// group's generations start over at 1, while writeFenced's fences still hold the old, higher
// generation. The restarted copy used to have every write refused, drop its tasks and wait for a
// rebalance that never came — idle for ever, its records never written. It now asks the group
// coordinator, finds its generation current, and fails saying why and what to do; doing that
// (forgetting the sink's generations) brings the table back to exact. Copies in this process, the
// run's real broker and PostgreSQL.
import { describe, expect, it } from 'vitest';
import type { Consumer } from 'kafkajs';
import { KafkaUtils, PostgresSink, StreamingContext, writeFenced } from '../../src/index.js';
import { KafkaClient } from '../../src/kafka/client.js';
import { resolveKafkaParams } from '../../src/kafka/params.js';
import { createTopic, kafkaBrokers, kafkaClient, produceLines, uniqueTopic } from '../helpers/kafka.js';
import { pgQuery, sinkConnection, useScratchSchema } from '../helpers/postgres.js';
import { sleep, tempDir } from './copies.js';

const scratch = useScratchSchema('dstreams_greset');
const USERS = Array.from({ length: 40 }, (_, i) => `u${i}`);

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  for (const t0 = Date.now(); !(await cond()); await sleep(100)) if (Date.now() - t0 > ms) throw new Error(`timed out: ${what}`);
}

describe('writeFenced after the consumer group was deleted', () => {
  it('fails the copy naming the group, the partition, both generations and the fix', { timeout: 120_000 }, async () => {
    const topic = uniqueTopic('greset');
    await createTopic(topic, 2);
    const app = `greset-${Date.now().toString(36)}`;
    const s = scratch();
    const table = s.unique('totals');
    const { connection } = await sinkConnection();
    const copies: Array<{ ssc: StreamingContext; sink: PostgresSink<{ u: string; n: number }> }> = [];
    const copy = (): { ssc: StreamingContext; tasks: () => number } => {
      const sink = new PostgresSink<{ u: string; n: number }>({
        connection,
        table: s.table(table),
        columns: ['u', 'n'],
        keyColumns: ['u'],
        mode: 'update',
        createTable: { u: 'text', n: 'bigint' },
        sinkId: table,
      });
      const ssc = new StreamingContext({ batchDuration: 300, applicationId: app, checkpointDir: tempDir('greset-') });
      const events = KafkaUtils.createDirectStream(ssc, [topic], { 'metadata.broker.list': kafkaBrokers(), 'auto.offset.reset': 'earliest', 'session.timeout.ms': 6000 });
      const totals = events.map(([user]): [string, number] => [user!, 1]).updateStateByKey<number>((ones, n) => (n ?? 0) + ones.length);
      writeFenced(totals, sink, ([u, n]) => ({ u, n }));
      let tasks = 0;
      ssc.assignment$.subscribe((info) => (tasks = new Set(info.partitions.map((p) => p.partition)).size));
      copies.push({ ssc, sink });
      return { ssc, tasks: () => tasks };
    };
    const counted = async (n: number): Promise<boolean> => {
      const rows = await pgQuery<{ u: string; n: string }>(`SELECT u, n FROM ${s.qualified(table)}`).catch(() => ({ rows: [] }));
      return rows.rows.length === USERS.length && rows.rows.every((r) => Number(r.n) === n);
    };
    const send = (): Promise<unknown> => produceLines(topic, USERS.map((u) => `event of ${u}`), { key: (_l, i) => USERS[i]! });
    try {
      // Run 1: two copies, so both partitions are written in generation 2.
      const a = copy();
      await a.ssc.start();
      await until(() => a.tasks() === 2, 'copy a owns both tasks');
      const b = copy();
      await b.ssc.start();
      await until(() => a.tasks() === 1 && b.tasks() === 1, 'a task each');
      await send();
      await until(() => counted(1), 'run 1 written');
      await b.ssc.stop();
      await a.ssc.stop();

      // Every copy down; the group goes (as after offsets.retention.minutes).
      const admin = kafkaClient().admin();
      await admin.connect();
      try {
        await until(() => admin.deleteGroups([app]).then(() => true, () => false), `group ${app} deleted`);
      } finally {
        await admin.disconnect();
      }

      // Run 2: the new group's generation 1 is refused by the fences of generation 2.
      const c = copy();
      await c.ssc.start();
      await until(() => c.tasks() === 2, 'copy c owns both tasks');
      await send();
      const failed = await Promise.race([c.ssc.awaitTermination().then(() => undefined, (e: unknown) => e as Error), sleep(30_000).then(() => undefined)]);
      expect(failed, 'the copy idled instead of failing').toBeDefined();
      expect(failed!.message).toMatch(new RegExp(`^PostgresSink "${table}" refused task [01]'s write: ${topic}:[01] was written by generation 2 of group ${app}, this copy's generation is 1`));
      expect(failed!.message).toMatch(/consumer group was deleted or expired \(Kafka deletes a group without members after offsets\.retention\.minutes/);
      const sql = /DELETE FROM ("[^"]+"\.dstreams_sink_fences WHERE sink_id = '[^']+')/.exec(failed!.message)?.[1];
      expect(sql).toBe(`"${s.schema}".dstreams_sink_fences WHERE sink_id = '${table}'`);
      await c.ssc.stop();

      // The fix the error gives: forget the sink's generations, start again — nothing lost.
      await pgQuery(`DELETE FROM ${sql}`);
      const d = copy();
      await d.ssc.start();
      await until(() => counted(2), 'run 2 written after the fences were forgotten');
    } finally {
      await Promise.all(copies.map((x) => x.ssc.stop()));
      await Promise.all(copies.map((x) => x.sink.close()));
    }
  });

  // The check that tells a group started over from a copy that lost its partition (a zombie, whose
  // rebalance is on its way): only the group's current generation is answered true.
  it("the coordinator's answer: true for the current generation only", { timeout: 60_000 }, async () => {
    const topic = uniqueTopic('greset-hb');
    await createTopic(topic, 2);
    const group = `greset-hb-${Date.now().toString(36)}`;
    const client = new KafkaClient(resolveKafkaParams({ 'metadata.broker.list': kafkaBrokers() }), () => false);
    const consumers: Consumer[] = [];
    const join = async (): Promise<() => { memberId: string; generation: number } | undefined> => {
      const consumer = kafkaClient().consumer({ groupId: group, sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
      let seen: { memberId: string; generation: number } | undefined;
      consumer.on(consumer.events.HEARTBEAT, ({ payload }) => (seen = { memberId: payload.memberId, generation: payload.groupGenerationId }));
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topics: [topic] });
      await consumer.run({ eachMessage: async () => undefined });
      return () => seen;
    };
    try {
      const a = await join();
      await until(() => a() !== undefined, 'a member');
      const first = a()!;
      expect(await client.isCurrentGeneration(group, first.generation, first.memberId)).toBe(true);
      expect(await client.isCurrentGeneration(group, first.generation, 'not-a-member')).toBe('UNKNOWN_MEMBER_ID');
      // A second member: the first one's generation is stale once the rebalance is done (a zombie's view).
      const b = await join();
      await until(() => (a()?.generation ?? 0) > first.generation && b() !== undefined, 'the rebalance');
      expect(await client.isCurrentGeneration(group, first.generation, first.memberId)).toBe('ILLEGAL_GENERATION');
      expect(await client.isCurrentGeneration(group, a()!.generation, first.memberId)).toBe(true);
    } finally {
      await Promise.all(consumers.map((c) => c.disconnect()));
      await client.close();
    }
  });
});
