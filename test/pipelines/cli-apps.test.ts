/**
 * The apps as `dstreams` subcommands (real Kafka, real PostgreSQL): `dstreams meetup --ui-port P`
 * runs the meetup job, logs a `progress` line per batch (delays, rate, Kafka lag) and serves the
 * web UI, whose REST JSON and /metrics show the job's batches and its Kafka lag.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTopic, kafkaBrokers, uniqueTopic } from '../helpers/kafka.js';
import { useScratchSchema } from '../helpers/postgres.js';
import { freePortBelow, getJson } from '../ui/helpers.js';
import { pgEnv, runDstreams, type Child } from './helpers.js';

const scratch = useScratchSchema('dstreams_cli_apps');
const dirs: string[] = [];
const children: Child[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('dstreams meetup', () => {
  it('runs the job with its web UI and logs a progress line per batch', { timeout: 180_000 }, async () => {
    const topic = uniqueTopic('cli-meetup');
    await createTopic(topic, 2);
    const gen = runDstreams(['generate', 'meetup', '--kafka-topic', topic, '--brokers', kafkaBrokers(), '--count', '400', '--quiet']);
    children.push(gen);
    expect((await gen.exit).code, gen.stderr()).toBe(0);

    const dir = mkdtempSync(join(tmpdir(), 'dstreams-cli-meetup-'));
    dirs.push(dir);
    const port = await freePortBelow();
    const job = runDstreams(
      [
        'meetup', '--topic', topic, '--brokers', kafkaBrokers(), '--checkpoint', join(dir, 'cp'), '--schema', scratch().schema,
        '--sink-id', scratch().unique('meetup'), '--batch-seconds', '0.5', '--max-rate-per-partition', '100', '--ui-port', String(port),
      ],
      await pgEnv(),
    );
    children.push(job);
    const ui = await job.waitForEvent((e) => e.event === 'ui', 120_000);
    expect(ui.url).toBe(`http://127.0.0.1:${port}/`);
    // At most 100 records/s × 0.5 s = 50 per partition per batch: 100 a batch, 400 waiting, so a lag at first.
    const progress = await job.waitForEvent((e) => e.event === 'progress' && (e.records as number) > 0, 60_000);
    expect(progress).toMatchObject({ records: 100, recordsPerSecond: 200 });
    expect(typeof progress.schedulingDelay).toBe('number');
    expect(typeof progress.processingDelay).toBe('number');
    expect(typeof progress.totalDelay).toBe('number');
    expect(progress.kafkaLag).toBeGreaterThan(0);

    const apps = await getJson<Array<{ id: string; name: string }>>(`${ui.url}api/v1/applications`);
    expect(apps[0]!.name).toBe('meetup-rsvps');
    const batches = await getJson<Array<{ inputSize: number; status: string }>>(`${ui.url}api/v1/applications/${apps[0]!.id}/streaming/batches?status=COMPLETED`);
    expect(batches.some((b) => b.inputSize === 100)).toBe(true);
    const metrics = await (await fetch(`${ui.url}metrics`)).text();
    expect(metrics).toMatch(new RegExp(`dstreams_kafka_lag_records\\{app="meetup-rsvps",topic="${topic}",partition="0"\\} \\d+`));
    expect(metrics).toMatch(/dstreams_state_keys\{app="meetup-rsvps",stream="\d+",kind="\w+"\} \d+/);

    job.child.kill('SIGINT');
    expect((await job.exit).code, job.stderr()).toBe(0);
  });
});
