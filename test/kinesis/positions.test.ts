// Where a Kinesis input starts: LATEST takes only what is put after start(); a receiver of an
// application that has checkpoints resumes from them, whatever its initial position says.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InitialPositionInStream, KinesisUtils, ManualClock, StorageLevel, StreamingContext, type KinesisReceiver } from '../../src/index.js';
import { createKinesisStream, kinesisEndpoints, putLines, REGION, uniqueName } from '../helpers/kinesis.js';
import { sleep } from './helpers.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const lines = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

async function receiveUntil(
  app: string,
  stream: string,
  position: InitialPositionInStream,
  put: string[],
  expected: number,
): Promise<string[]> {
  const { kinesisEndpoint, dynamoDBEndpoint } = kinesisEndpoints();
  const ssc = new StreamingContext({ batchDuration: 200 });
  const records = KinesisUtils.createStream(ssc, app, stream, kinesisEndpoint, REGION, position, 100, StorageLevel.MEMORY_AND_DISK_2,
    undefined, undefined, undefined, { dynamoDBEndpoint, idleReadInterval: 100 });
  const seen: string[] = [];
  records.foreachRDD((rdd) => void seen.push(...rdd.collect()));
  await ssc.start();
  const receiver = records.receiver as KinesisReceiver<string>;
  while (receiver.shards.length < 2) await sleep(20); // the leases taken
  await putLines(stream, put);
  const t0 = Date.now();
  while (seen.length < expected && Date.now() - t0 < 20_000) await sleep(50);
  await sleep(400); // nothing more comes
  await ssc.stop();
  return seen;
}

describe('initial positions and checkpoints', () => {
  it('direct stream at LATEST (the default): records put before start() are not read, those after are', { timeout: 60_000 }, async () => {
    const { kinesisEndpoint } = kinesisEndpoints();
    const stream = uniqueName('latest-direct');
    await createKinesisStream(stream, 2);
    await putLines(stream, lines('old', 100));
    const clock = new ManualClock();
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    cleanups.push(() => ssc.stop());
    const seen: string[] = [];
    KinesisUtils.createDirectStream(ssc, stream, { endpointUrl: kinesisEndpoint, regionName: REGION }).foreachRDD(
      (rdd) => void seen.push(...rdd.collect()),
    );
    await ssc.start();
    await sleep(20);
    await putLines(stream, lines('new', 100));
    await clock.advance(2000);
    expect(seen.sort()).toEqual(lines('new', 100).sort());
  });

  it('direct stream at LATEST, a first run that completed no batch: getOrCreate starts where it started, reading what came meanwhile', { timeout: 60_000 }, async () => {
    const { kinesisEndpoint } = kinesisEndpoints();
    const stream = uniqueName('latest-first-run');
    await createKinesisStream(stream, 2);
    await putLines(stream, lines('old', 50));
    const dir = mkdtempSync(path.join(tmpdir(), 'kinesis-first-run-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const run = async (clock: ManualClock, seen: string[]): Promise<StreamingContext> => {
      const ssc = await StreamingContext.getOrCreate(dir, () => {
        const c = new StreamingContext({ batchDuration: 1000, clock, appName: 'kinesis-first-run' });
        KinesisUtils.createDirectStream(c, stream, { endpointUrl: kinesisEndpoint, regionName: REGION }).foreachRDD((rdd) => void seen.push(...rdd.collect()));
        return c;
      });
      cleanups.push(() => ssc.stop());
      return ssc;
    };
    // Run 1 ends before its first batch (a crash then leaves the store as this stop does).
    const ssc1 = await run(new ManualClock(), []);
    await ssc1.start();
    await sleep(20);
    await putLines(stream, lines('during', 60));
    await ssc1.stop();
    await putLines(stream, lines('after', 40));
    const clock2 = new ManualClock();
    const seen: string[] = [];
    const ssc2 = await run(clock2, seen);
    await ssc2.start();
    await clock2.advance(2000);
    expect(seen.sort()).toEqual([...lines('during', 60), ...lines('after', 40)].sort());
  });

  it('receiver: LATEST skips what was there; a restarted job of the same application resumes from its checkpoints, not from TRIM_HORIZON', { timeout: 60_000 }, async () => {
    const stream = uniqueName('latest-receiver');
    const app = uniqueName('latest-app');
    await createKinesisStream(stream, 2);
    await putLines(stream, lines('old', 100));
    const first = await receiveUntil(app, stream, InitialPositionInStream.LATEST, lines('one', 200), 200);
    expect(first.sort()).toEqual(lines('one', 200).sort());
    // Same application, TRIM_HORIZON: the checkpoints win — neither "old" nor "one" again.
    const second = await receiveUntil(app, stream, InitialPositionInStream.TRIM_HORIZON, lines('two', 200), 200);
    expect(second.sort()).toEqual(lines('two', 200).sort());
  });
});
