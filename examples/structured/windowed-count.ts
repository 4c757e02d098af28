/**
 * Event-time windows with a watermark, as the Structured Streaming Programming Guide draws them:
 * words counted per 10-minute window sliding every 5 minutes, by the time the word was *written*
 * (not when it arrived), with a 10-minute watermark. Events arrive in four batches, some late;
 * the console shows what each output mode emits:
 *
 *   npx tsx examples/structured/windowed-count.ts [update|append]
 *
 * - update: every window a batch changed, each batch; a late event still counts while its
 *   window is above the watermark (max event time seen − 10 minutes, used from the next batch);
 * - append: a window is printed once, when the watermark passes its end; then its state is
 *   dropped, and later events for it are ignored (dropped, counted in the progress report).
 */
import { MemoryStream, SparkSession, functions as F } from '../../src/index.js';

const mode = process.argv[2] ?? 'update';
const spark = new SparkSession({ appName: 'WindowedWordCount' });
const at = (hhmm: string) => new Date(`2017-11-11T${hhmm}:00Z`);

const events = new MemoryStream<{ word: string; timestamp: Date }>(spark, 'word STRING, timestamp TIMESTAMP');

const counts = events
  .toDF()
  .withWatermark('timestamp', '10 minutes')
  .groupBy(F.window(F.col('timestamp'), '10 minutes', '5 minutes'), F.col('word'))
  .count();

const query = await counts.writeStream.outputMode(mode).format('console').option('truncate', false).start();

const batches: Array<Array<[string, string]>> = [
  [['owl', '12:07'], ['dog', '12:08']],
  [['owl', '12:14'], ['cat', '12:09']], // cat is late (written 12:09) but its windows are open
  [['dog', '12:26']], // the watermark moves to 12:16: windows ending by then are final
  [['cat', '12:04'], ['owl', '12:21']], // cat at 12:04 is older than the watermark: dropped
];
for (const batch of batches) {
  events.addData(...batch.map(([word, t]) => ({ word, timestamp: at(t) })));
  await query.processAllAvailable();
}
const dropped = query.recentProgress.reduce((n, p) => n + (p.stateOperators[0]?.numRowsDroppedByWatermark ?? 0), 0);
console.log(`rows dropped as late: ${dropped}; watermark now ${query.lastProgress?.eventTime?.watermark}`);
await query.stop();
