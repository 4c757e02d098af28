/**
 * `dstreams generate meetup|tweets`: the pipelines' input, produced to a Kafka topic (or written
 * to a file / stdout with `--out`).
 *
 *   dstreams generate meetup --kafka-topic rsvps --count 10000 --malformed 0.05
 *   dstreams generate tweets --kafka-topic tweets --count 10000 --rate 500
 *
 * Without the `dstreams` command: `npx tsx src/apps/generate.ts meetup …`.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { Command, InvalidArgumentError } from 'commander';
import { waitForKafka } from '../index.js';
import { UsageError } from '../util/usage.js';
import { brokersArg, isoDay, positive } from './jobCommand.js';
import { generateMeetupEvents } from './meetup/generate.js';
import { produceToKafka, type KeyedValue } from '../kafka/produce.js';
import { generateTweets } from './tweets/generate.js';

function integer(min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer ≥ ${min}`);
    return n;
  };
}

function fraction(v: string): number {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('must be a fraction between 0 and 1');
  return n;
}



interface SinkOptions {
  kafkaTopic?: string;
  brokers?: string;
  partitions: number;
  rate?: number;
  out?: string;
  quiet?: boolean;
}

function addSinkOptions(cmd: Command): Command {
  return cmd
    .option('--kafka-topic <topic>', 'Kafka topic to produce to (created when missing)')
    .option('--brokers <list>', 'Kafka brokers, host:port[,…] (default: $KAFKA_BROKERS, else 127.0.0.1:9092)', brokersArg)
    .option('--partitions <n>', 'partitions of the topic when it is created', integer(1), 3)
    .option('--rate <n>', 'events per second (default: as fast as possible)', positive)
    .option('--out <file>', 'write the events to a file, one per line ("-" for stdout), instead of Kafka')
    .option('--quiet', 'no progress on stderr');
}

/** An I/O error's reason in words, with its code: "no such directory: /x (ENOENT)". */
function ioReason(e: unknown, file: string): string {
  const err = e as NodeJS.ErrnoException;
  const dir = path.dirname(file);
  switch (err.code) {
    case 'ENOENT':
      return `no such directory: ${dir} (ENOENT)`;
    case 'ENOTDIR':
      return `${dir} is not a directory (ENOTDIR)`;
    case 'EISDIR':
      return 'it is a directory (EISDIR)';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${err.code})`;
    case 'ENOSPC':
      return 'no space left on the device (ENOSPC)';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

/**
 * The `--out` file, opened (created or truncated). A file the command line names but that cannot
 * be opened (no such directory, a directory, no permission) is a usage error, as a `feed --file`
 * that does not exist: one line naming the file and why, exit code 2.
 */
async function openOut(file: string): Promise<WriteStream> {
  const out = createWriteStream(file);
  try {
    await once(out, 'open');
  } catch (e) {
    throw new UsageError(`cannot write --out ${file}: ${ioReason(e, file)}`);
  }
  return out;
}

async function emit(what: string, messages: Iterable<KeyedValue>, opts: SinkOptions): Promise<number> {
  const log = opts.quiet ? () => undefined : (m: string) => void process.stderr.write(`dstreams generate ${what}: ${m}\n`);
  if (opts.out !== undefined) {
    const file = opts.out;
    const out = file === '-' ? process.stdout : await openOut(file);
    // A write that fails later (a full disk): its reason and exit code 1, not an unhandled 'error' event.
    let failed: Error | undefined;
    const onError = (e: Error): void => void (failed ??= e);
    if (out !== process.stdout) out.on('error', onError);
    let n = 0;
    try {
      for (const m of messages) {
        if (failed) break;
        // Values never contain a raw newline: JSON escapes them, and tweet lines have none.
        if (!out.write(`${m.value.replace(/\n/g, '\\n')}\n`)) await once(out, 'drain');
        n++;
      }
      if (out !== process.stdout && !failed) {
        out.end();
        await finished(out);
      }
    } catch (e) {
      failed ??= e as Error;
    }
    if (failed) {
      if (out !== process.stdout) out.destroy();
      throw new Error(`cannot write ${file}: ${ioReason(failed, file)}`);
    }
    log(`wrote ${n} events to ${file === '-' ? 'stdout' : file}`);
    return n;
  }
  if (!opts.kafkaTopic) throw new UsageError('say where the events go: --kafka-topic <topic> (or --out <file>)');
  const brokers = opts.brokers ?? (process.env.KAFKA_BROKERS || '127.0.0.1:9092');
  await waitForKafka(brokers);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let lastLog = Date.now();
  try {
    const sent = await produceToKafka(messages, {
      brokers,
      topic: opts.kafkaTopic!,
      partitions: opts.partitions,
      ...(opts.rate !== undefined ? { rate: opts.rate } : {}),
      signal: abort.signal,
      onProgress: (n) => {
        if (Date.now() - lastLog >= 2000) {
          lastLog = Date.now();
          log(`${n} sent`);
        }
      },
    });
    log(`sent ${sent} events to topic ${opts.kafkaTopic} at ${brokers}`);
    return sent;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** The `generate` command with its `meetup` and `tweets` subcommands. */
export function generateCommand(): Command {
  const generate = new Command('generate').description('produce generated input for the apps (src/apps) to Kafka');

  const meetup = addSinkOptions(
    generate
      .command('meetup')
      .description('meetup RSVPs as JSON in the nested schema of stream.meetup.com (seed 004), some malformed')
      .requiredOption('--count <n>', 'number of events', integer(0))
      .option('--malformed <fraction>', 'fraction of malformed events (bad JSON, missing fields, wrong types)', fraction, 0)
      .option('--seed <n>', 'PRNG seed: the same seed gives the same events', integer(0), 1)
      .option('--base-time <ms>', 'mtime of the first RSVP (ms since the epoch)', integer(0))
      .option('--groups <n>', 'meetup groups in the pool (1–4 events each)', integer(1), 40),
  );
  meetup.action(async (o: SinkOptions & { count: number; malformed: number; seed: number; baseTime?: number; groups: number }) => {
    const events = generateMeetupEvents({
      count: o.count,
      malformed: o.malformed,
      seed: o.seed,
      groups: o.groups,
      ...(o.baseTime !== undefined ? { baseTime: o.baseTime } : {}),
    });
    await emit('meetup', events, o);
  });

  const tweets = addSinkOptions(
    generate
      .command('tweets')
      .description('tweets as ";"-separated lines id;created_at;followers_count;location;favorite_count;retweet_count (seed 000)')
      .requiredOption('--count <n>', 'number of tweets', integer(0))
      .option('--day <YYYY-MM-DD>', 'the day most tweets are created on (UTC; default today)', isoDay)
      .option('--other-days <fraction>', 'fraction of tweets from the day before or after', fraction, 0.2)
      .option('--malformed <fraction>', 'fraction of damaged lines (field count, values that do not cast)', fraction, 0)
      .option('--seed <n>', 'PRNG seed', integer(0), 1),
  );
  tweets.action(async (o: SinkOptions & { count: number; day?: string; otherDays: number; malformed: number; seed: number }) => {
    const lines = generateTweets({
      count: o.count,
      otherDays: o.otherDays,
      malformed: o.malformed,
      seed: o.seed,
      ...(o.day !== undefined ? { day: o.day } : {}),
    });
    await emit('tweets', (function* () {
      for (const t of lines) yield { key: null, value: t.value };
    })(), o);
  });

  return generate;
}
