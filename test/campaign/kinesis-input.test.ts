// Bad-input campaign (issue 16), Kinesis: records with empty data, binary (invalid UTF-8) data,
// NULs and newlines, 1 MiB records (Kinesis's largest), read by the direct stream from a local
// kinesalite (test/setup/kinesis.global.ts) — with the default UTF-8 decoder (invalid UTF-8 becomes
// U+FFFD), with an identity decoder (the exact bytes), and with a decoder that throws (the batch
// fails naming the stream, the shard and the sequence number; awaitTermination rejects; no record
// of the failed batch reaches the output). Every record exactly once, none lost or doubled.
import { randomBytes } from 'node:crypto';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { InitialPositionInStream, KinesisUtils, ManualClock, StreamingContext } from '../../src/index.js';
import { createKinesisStream, kinesis, kinesisEndpoints, REGION, uniqueName } from '../helpers/kinesis.js';
import { recordCampaign } from './tally.js';

const ONE_MIB = 1024 * 1024;

interface Sent {
  name: string;
  data: Buffer;
}

function records(): Sent[] {
  const invalid = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0xe2, 0x82, 0x80, 0xed, 0xa0, 0x80]);
  return [
    { name: 'empty data', data: Buffer.alloc(0) },
    { name: 'invalid UTF-8', data: invalid },
    { name: '64 KiB random binary', data: randomBytes(64 * 1024) },
    { name: 'NULs, newlines, CRs', data: Buffer.from('a\nb\r\n\u0000c\u0000') },
    // Kinesis's limit is 1 MiB of data and partition key together.
    { name: '1 MiB random binary', data: randomBytes(ONE_MIB - 8) },
    { name: '1 MiB text', data: Buffer.from('y'.repeat(ONE_MIB - 8)) },
    { name: 'empty data again', data: Buffer.alloc(0) },
    { name: 'after the big ones', data: Buffer.from('done') },
  ];
}

/** Reads the whole stream from TRIM_HORIZON with `decoder`, batch after batch, until `n` records or an error. */
async function readAll<T>(stream: string, n: number, decoder?: (data: Uint8Array) => T): Promise<{ got: T[]; error: unknown; terminated: unknown }> {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ batchDuration: 1000, clock });
  const got: T[] = [];
  KinesisUtils.createDirectStream<T>(ssc, stream, {
    endpointUrl: kinesisEndpoints().kinesisEndpoint,
    regionName: REGION,
    initialPosition: InitialPositionInStream.TRIM_HORIZON,
    minReadInterval: 20,
    ...(decoder ? { decoder } : {}),
  }).foreachRDD((rdd) => void got.push(...rdd.collect()));
  await ssc.start();
  let error: unknown;
  try {
    for (let i = 0; i < 20 && got.length < n; i++) await clock.advance(1000);
  } catch (e) {
    error = e;
  }
  const terminated = error === undefined ? undefined : await ssc.awaitTermination().then(() => 'resolved', (e: unknown) => e);
  await ssc.stop();
  return { got, error, terminated };
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

describe('Kinesis input: empty, binary, 1 MiB records, a decoder that throws', () => {
  it('direct stream: every record exactly once; a throwing decoder fails the batch naming stream and shard', { timeout: 60_000 }, async () => {
    const stream = uniqueName('campaign-bad');
    await createKinesisStream(stream, 2);
    const sent = records();
    const seq = new Map<string, { shard: string; name: string }>();
    for (const [i, r] of sent.entries()) {
      const put = await kinesis().send(new PutRecordCommand({ StreamName: stream, Data: r.data, PartitionKey: `pk-${i}` }));
      seq.set(put.SequenceNumber!, { shard: put.ShardId!, name: r.name });
    }
    expect(new Set([...seq.values()].map((s) => s.shard)).size).toBe(2); // both shards hold some
    const problems: string[] = [];
    const sortedEq = (what: string, got: string[], want: string[]): void => {
      const g = [...got].sort();
      const w = [...want].sort();
      if (g.length !== w.length) problems.push(`${what}: ${g.length} records for ${w.length}`);
      else g.forEach((x, i) => x !== w[i] && problems.push(`${what}: a record differs`));
    };

    // The default decoder: UTF-8 text, invalid sequences as U+FFFD.
    const utf8 = await readAll<string>(stream, sent.length);
    expect(utf8.error).toBeUndefined();
    sortedEq('UTF-8', utf8.got, sent.map((r) => new TextDecoder().decode(r.data)));

    // An identity decoder: the exact bytes.
    const bytes = await readAll(stream, sent.length, (d) => hex(d));
    expect(bytes.error).toBeUndefined();
    sortedEq('identity', bytes.got, sent.map((r) => hex(r.data)));

    // A decoder that throws on one record: the batch fails whole, naming the record.
    const badHex = hex(sent.find((r) => r.name === 'invalid UTF-8')!.data);
    const failed = await readAll(stream, sent.length, (d) => {
      if (hex(d) === badHex) throw new Error('not a record this job understands');
      return hex(d);
    });
    const bad = [...seq].find(([, s]) => s.name === 'invalid UTF-8')!;
    const want =
      `Kinesis stream "${stream}": the decoder failed on the record of shard ${bad[1].shard} ` +
      `at sequence number ${bad[0]}: not a record this job understands`;
    expect(String((failed.error as Error | undefined)?.message)).toContain(want);
    expect(String((failed.terminated as Error | undefined)?.message)).toContain(want);
    expect(failed.got).toEqual([]); // nothing of the failed batch reached the output

    recordCampaign('Kinesis records (direct stream)', {
      cases: sent.length * 2 + 1,
      correct: sent.length * 2 - problems.length,
      errors: 1,
      lost: problems.length,
    });
    expect(problems).toEqual([]);
  });
});
