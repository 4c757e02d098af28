// Listing 7.9 of the book's streaming chapter: `window(10, 10)` over 5-second batches. The book
// sends the output of `date` every second; each window prints the last 10 s of lines, every 10 s.
// This example also counts the words of each window.
//
//   npx tsx examples/windowed-wordcount.ts            # generated `date` lines, one per second
//   npx tsx examples/windowed-wordcount.ts FILE       # FILE's lines, one per second
//
// Time is simulated with a ManualClock, so the run takes no real time.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ManualClock, Seconds, StreamingContext, type DStream } from '../src/index.js';

export const BATCH_DURATION = Seconds(5);

export interface WindowedWordCount {
  /** The lines of the last 10 s, every 10 s (the listing's `windowed`). */
  windowed: DStream<string>;
  /** The words of the same windows, counted, most frequent first (ties by word). */
  counts: DStream<[string, number]>;
}

/** The job, from any stream of lines in 5-second batches. */
export function windowedWordCount(lines: DStream<string>): WindowedWordCount {
  const windowed = lines.window(Seconds(10), Seconds(10));
  const counts = windowed
    .flatMap((line) => line.split(/\s+/).filter((w) => w !== ''))
    .map((word): [string, number] => [word, 1])
    .reduceByKey((a, b) => a + b)
    .transform((rdd) => rdd.sortBy(([word, n]) => [-n, word]));
  return { windowed, counts };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** What `date` prints at `ms`, in local time (`Mon 23 Oct 09:28:05 2017`). */
export function dateLine(ms: number): string {
  const d = new Date(ms);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return `${DAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]} ${time} ${d.getFullYear()}`;
}

async function main(): Promise<void> {
  const file = process.argv[2];
  const fileLines = file ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '') : undefined;
  const seconds = fileLines ? Math.ceil(fileLines.length / 10) * 10 : 30;

  // Start on a batch boundary, so batch t holds the lines of seconds [t - 5, t).
  const start = Math.floor(Date.now() / BATCH_DURATION) * BATCH_DURATION;
  const clock = new ManualClock(start);
  const ssc = new StreamingContext({ batchDuration: BATCH_DURATION, clock });
  const batches: string[][] = [];
  for (let s = 0; s < seconds; s++) {
    const b = Math.floor(s / 5);
    (batches[b] ??= []).push(fileLines ? (fileLines[s] ?? '') : dateLine(start + s * 1000));
  }
  const { windowed, counts } = windowedWordCount(ssc.queueStream(batches.map((b) => b.filter((l) => l !== ''))));
  windowed.pprint();
  counts.pprint();
  await ssc.start();
  for (let i = 0; i < batches.length; i++) await clock.advance(BATCH_DURATION);
  await ssc.stop();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
