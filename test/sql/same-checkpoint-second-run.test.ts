/**
 * A second start() on the checkpointLocation of a query still active is a new run of that query
 * (same id). Spark 3.5 (StreamingQueryManager.startQuery, checked against 3.5.1): with
 * spark.sql.streaming.stopActiveRunOnRestart true — the default — the active run is stopped with a
 * warning and the new one starts once it has; false refuses the start. Never both at once.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { session, tempDir } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function setup() {
  const spark = session();
  const base = tempDir();
  mkdirSync(join(base, 'in'));
  writeFileSync(join(base, 'in', 'f0.txt'), 'a\nb\nc\n');
  const df = spark.readStream.format('text').load(join(base, 'in'));
  const start = () => df.writeStream.format('json').option('checkpointLocation', join(base, 'ck')).start(join(base, 'out'));
  const written = () =>
    readdirSync(join(base, 'out'))
      .filter((f) => f.startsWith('part'))
      .flatMap((f) => readFileSync(join(base, 'out', f), 'utf8').trim().split('\n'))
      .map((l) => (JSON.parse(l) as { value: string }).value)
      .sort();
  return { spark, base, start, written };
}

describe('a second run on the same checkpointLocation', () => {
  it('by default stops the active run (a warning), then runs; every row is written once', async () => {
    const warnings = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { spark, base, start, written } = setup();
    const q1 = start();
    await q1.processAllAvailable();
    const q2 = start();
    expect(q2.id).toBe(q1.id);
    expect(q2.runId).not.toBe(q1.runId);
    expect(warnings).toHaveBeenCalledWith(`dstreams: Stopping existing streaming query [id=${q1.id}, runId=${q1.runId}], as a new run is being started.`);
    await q1.awaitTermination();
    expect(q1.isActive).toBe(false);
    expect(q1.exception()).toBeNull();
    writeFileSync(join(base, 'in', 'f1.txt'), 'd\n');
    await q2.processAllAvailable();
    expect(q2.exception()).toBeNull();
    expect(spark.streams.active).toEqual([q2]);
    expect(written()).toEqual(['a', 'b', 'c', 'd']);
    await q2.stop();
    expect(errors).not.toHaveBeenCalled();
  });

  it('a second start() right after the first, before it opened: the second waits for the first to release the checkpoint', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { start, written } = setup();
    const q1 = start();
    const q2 = start();
    await q2.processAllAvailable();
    expect(q1.isActive).toBe(false);
    expect([q1.exception(), q2.exception()]).toEqual([null, null]);
    expect(written()).toEqual(['a', 'b', 'c']);
    await q2.stop();
    expect(errors).not.toHaveBeenCalled();
  });

  it('spark.sql.streaming.stopActiveRunOnRestart false: start() refuses, the active run goes on', async () => {
    const { spark, base, start, written } = setup();
    spark.conf.set('spark.sql.streaming.stopActiveRunOnRestart', false);
    const q1 = start();
    await q1.processAllAvailable();
    expect(() => start()).toThrow(
      `Cannot start query with id ${q1.id} as another query with same id is already active. Perhaps you are attempting to restart a query from checkpoint that is already active.`,
    );
    writeFileSync(join(base, 'in', 'f1.txt'), 'd\n');
    await q1.processAllAvailable();
    expect(q1.isActive).toBe(true);
    expect(spark.streams.active).toEqual([q1]);
    expect(written()).toEqual(['a', 'b', 'c', 'd']);
    await q1.stop();
  });
});
