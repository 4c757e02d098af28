/**
 * The book's stateful word count (Listing 7.8, "State DStreams"): running totals of the words
 * received on a stream, kept across batches with updateStateByKey.
 *
 *   npx tsx examples/stateful-wordcount.ts [--batches 4] [--batch-ms 1000]
 *
 * runs it over a generated input — the book's "Lorem ipsum dolor", a pause, "Lorem ipsum dolor"
 * again, then a few generated lines — and prints every batch's totals with pprint:
 *
 *   -------------------------------------------
 *   Time: 2016-03-31 00:02:30
 *   -------------------------------------------
 *   ('Lorem', 1)
 *   ('ipsum', 1)
 *   ('dolor', 1)
 *   ...
 *   ('Lorem', 2)
 *
 * `statefulWordCount` builds the job from any stream of lines, so a test can drive it batch by
 * batch on a ManualClock. (The listing maps each received line to `(word, 1)`; its input and
 * output are words, so lines are split into words here.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StreamingContext, type DStream } from '../src/index.js';

/** The listing's updateFunc: `sum(new_values) + (last_sum or 0)`. */
export function updateFunc(newValues: number[], lastSum: number | undefined): number {
  let sum = 0;
  for (const v of newValues) sum += v;
  return sum + (lastSum ?? 0);
}

/** `lines.map(word => (word, 1)).updateStateByKey(updateFunc)`, over the words of each line. */
export function statefulWordCount(lines: DStream<string>): DStream<[string, number]> {
  return lines
    .flatMap((line) => line.split(/\s+/).filter((w) => w !== ''))
    .map((word): [string, number] => [word, 1])
    .updateStateByKey(updateFunc);
}

const LOREM = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor'.split(' ');

/** The book's input (a line, a pause, the same line), then `extra` batches of generated lines. */
export function generatedInput(extra: number, seed = 7): string[][] {
  const rand = (n: number): number => (seed = (Math.imul(seed, 48271) + 1) >>> 0) % n;
  const batches: string[][] = [['Lorem ipsum dolor'], [], ['Lorem ipsum dolor']];
  for (let b = 0; b < extra; b++) {
    batches.push(Array.from({ length: 1 + rand(3) }, () => Array.from({ length: 2 + rand(5) }, () => LOREM[rand(LOREM.length)]).join(' ')));
  }
  return batches;
}

/** Runs the job over the generated input for `batches` batches of `batchMs`, printing with pprint. */
export async function main(options: { batches?: number; batchMs?: number } = {}): Promise<void> {
  const batches = options.batches ?? 4;
  const batchMs = options.batchMs ?? 1000;
  const checkpointDir = mkdtempSync(join(tmpdir(), 'stateful-wordcount-'));
  try {
    const ssc = new StreamingContext({ batchDuration: batchMs, appName: 'StatefulWordCount' });
    ssc.checkpoint(checkpointDir);
    const lines = ssc.queueStream(generatedInput(Math.max(0, batches - 3)));
    statefulWordCount(lines).pprint();
    let completed = 0;
    ssc.addStreamingListener({
      onBatchCompleted: () => {
        if (++completed === batches) void ssc.stop();
      },
    });
    await ssc.start();
    await ssc.awaitTermination();
  } finally {
    rmSync(checkpointDir, { recursive: true, force: true });
  }
}

/** `--name n`, a whole number ≥ 1; a bad one is one line and exit code 2. */
function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`error: --${name} must be a whole number ≥ 1, got ${process.argv[i + 1]}\n`);
    process.exit(2);
  }
  return n;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main({ batches: arg('batches', 4), batchMs: arg('batch-ms', 1000) });
}
