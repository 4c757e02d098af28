// Listing 7.10 of the book's streaming chapter: reduceByKeyAndWindow with an inverse function and
// a filter function. Each word's count over the last 30 s, every 10 s: the counts of the batch
// that entered are added (func), those of the batch that left are subtracted (invFunc), and words
// whose count fell to 0 are dropped (filterFunc). Stateful, so the context needs checkpoint(dir).
//
//   npx tsx examples/windowed-inverse-wordcount.ts          # a generated text, a line per batch
//   npx tsx examples/windowed-inverse-wordcount.ts FILE     # FILE's lines, a line per batch
//
// Time is simulated with a ManualClock, so the run takes no real time.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ManualClock, Seconds, StreamingContext, type DStream } from '../src/index.js';

export const BATCH_DURATION = Seconds(10);

/** The job, from any stream of lines in 10-second batches: word counts over a 30 s window sliding every 10 s. */
export function windowedInverseWordCount(lines: DStream<string>): DStream<[string, number]> {
  return lines
    .flatMap((line) => line.split(/\s+/).filter((w) => w !== ''))
    .map((word): [string, number] => [word, 1])
    .reduceByKeyAndWindow(
      (x, y) => x + y, // func: counts entering the window
      (x, y) => x - y, // invFunc: counts leaving it
      Seconds(30),
      Seconds(10),
      { filterFunc: ([, count]) => count > 0 }, // words no longer in the window go
    );
}

const GENERATED = [
  'the quick brown fox',
  'jumps over the lazy dog',
  'the dog sleeps',
  '',
  'a quick brown dog',
  '',
  '',
  'the end',
];

async function main(): Promise<void> {
  const file = process.argv[2];
  const lines = file ? readFileSync(file, 'utf8').split('\n') : GENERATED;
  const batches = lines.map((l) => (l.trim() === '' ? [] : [l]));
  // A few quiet batches at the end, so the window empties.
  batches.push([], [], []);

  const clock = new ManualClock(Math.floor(Date.now() / BATCH_DURATION) * BATCH_DURATION);
  const ssc = new StreamingContext({ batchDuration: BATCH_DURATION, clock });
  const dir = mkdtempSync(join(tmpdir(), 'dstreams-checkpoint-'));
  ssc.checkpoint(dir);
  const numBatches = batches.length; // the queue stream takes its batches out of the array
  windowedInverseWordCount(ssc.queueStream(batches)).pprint();
  try {
    await ssc.start();
    for (let i = 0; i < numBatches; i++) await clock.advance(BATCH_DURATION);
  } finally {
    await ssc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
