/** The `dstreams` command line: `feed` (serve a file's lines), `run` (run a job or an example), `generate`, and the apps `meetup` and `tweets`. */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { readLines, tcpTargetProvider, type FeedTarget, type FeedTargetProvider, type Pacing } from './feed.js';
import { kafkaTargetProvider } from './kafkaFeedTarget.js';
import { kinesisTargetProvider } from './kinesisFeedTarget.js';
import { relaySignals } from './signalRelay.js';
import { generateCommand } from '../apps/generateCommand.js';
import { meetupCommand } from '../apps/meetup/command.js';
import { tweetsCommand } from '../apps/tweets/command.js';

/** Every target `dstreams feed` knows; each adds its options and runs when they name it. */
const feedTargetProviders: FeedTargetProvider[] = [tcpTargetProvider, kafkaTargetProvider, kinesisTargetProvider];
import { UsageError } from '../util/usage.js';
import { packageVersion } from './version.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** A job ended by one of these ends `dstreams run` by it too; others (a core dump's) give only the exit code. */
const DIE_BY = new Set<NodeJS.Signals>(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL']);
/** The examples folder (the same from src/cli and dist/cli). */
export const EXAMPLES_DIR = path.resolve(here, '../../examples');

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function port(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new InvalidArgumentError('must be a TCP port (0-65535)');
  return n;
}

/** The examples: .ts files in a checkout, compiled .js files in the installed package. */
export function listExamples(dir = EXAMPLES_DIR): string[] {
  if (!existsSync(dir)) return [];
  const names = (d: string): string[] =>
    readdirSync(d)
      .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
      .map((f) => f.replace(/\.(ts|js)$/, ''))
      .sort();
  // The Structured Streaming examples run by `structured/<name>`, as resolveJob finds them.
  const structured = path.join(dir, 'structured');
  return [...names(dir), ...(existsSync(structured) ? names(structured).map((n) => `structured/${n}`) : [])];
}

/** A job file given by path, else the example of that name; undefined when neither exists. */
export function resolveJob(job: string, dir = EXAMPLES_DIR): string | undefined {
  if (existsSync(job) && statSync(job).isFile()) return path.resolve(job);
  const name = job.replace(/\.(ts|js)$/, '');
  for (const ext of ['.js', '.ts']) {
    const file = path.join(dir, name + ext);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** tsx's loader as a file URL for `node --import`, or undefined when tsx is not installed. */
function tsxLoader(): string | undefined {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  } catch {
    return undefined;
  }
}

export function buildProgram(): Command {
  const program = new Command('dstreams')
    .description("dstreams: Spark Streaming's DStreams for Node.js — run jobs and examples, feed and generate their input, run the seeds' apps")
    .version(packageVersion(), '-V, --version', 'print the version')
    .enablePositionalOptions();

  const feed = program
    .command('feed')
    .description('send the lines of a file to clients (like `while read line; do echo $line; sleep …; done < F | nc -lk PORT`)')
    .option('--file <file>', 'text file to send, line by line (required)')
    .option('--lines-per-second <n>', 'pace (default: full speed, waiting whenever the client is not reading)', positiveNumber)
    .option('--loop', 'start over at the end of the file, forever')
    .option('--quiet', 'do not log connections');
  for (const p of feedTargetProviders) p.addOptions(feed);
  feed.action(async (opts: Record<string, unknown>) => {
    const log = opts.quiet ? (): void => undefined : (msg: string): void => void process.stderr.write(`dstreams feed: ${msg}\n`);
    const targets = feedTargetProviders.map((p) => p.create(opts)).filter((t): t is FeedTarget => t !== undefined);
    if (targets.length === 0) throw new UsageError('say where to send the lines: --port <port>, --kafka-topic <topic> or --kinesis-stream <name>');
    const file = opts.file as string | undefined;
    if (file === undefined) throw new UsageError('feed needs --file <file>');
    if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
    if (statSync(file).isDirectory()) throw new UsageError(`--file ${file} is a directory, not a file`);
    const lines = readLines(file);
    const pacing: Pacing = { linesPerSecond: opts.linesPerSecond as number | undefined, loop: opts.loop === true };
    const pace = pacing.linesPerSecond === undefined ? 'full speed' : `${pacing.linesPerSecond} lines/s`;
    for (const t of targets) log(`sending ${file} (${lines.length} lines) to ${t.describe()} at ${pace}${pacing.loop ? ', looping' : ''}`);
    const stop = (): void => {
      for (const t of targets) void t.close();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await Promise.all(targets.map((t) => t.run(lines, pacing, log)));
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  });

  program
    .command('run')
    .description('run a job: an example by name (e.g. `dstreams run network-wordcount localhost 9999`) or your own .ts/.js file')
    .argument('<job>', `a job file, or one of the examples: ${listExamples().join(', ') || '(none found)'}`)
    .argument('[args...]', 'arguments for the job')
    .option('--ui', "serve the web UI (Spark's Streaming tab), REST JSON and /metrics of every context the job starts")
    .option('--ui-port <port>', 'port of the web UI (implies --ui; default 4040, or the next free one)', port)
    .option('--quiet', 'no progress line per batch on stderr')
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (job: string, args: string[], opts: { ui?: boolean; uiPort?: number; quiet?: boolean }) => {
      // Options go before the job: a mistyped one (`--quite`) would read as the job's name.
      if (job.startsWith('-')) throw new UsageError(`unknown option '${job}' (the options of run: --ui, --ui-port <port>, --quiet)`);
      const file = resolveJob(job);
      if (!file) throw new UsageError(`no job file or example "${job}"; examples: ${listExamples().join(', ')}`);
      const nodeArgs: string[] = [];
      // From a checkout the preloads are TypeScript too, so they also need tsx.
      const preload = (name: string): string => path.join(here, existsSync(path.join(here, `${name}.js`)) ? `${name}.js` : `${name}.ts`);
      const preloads = [preload('jobFailure'), preload('jobSignals')];
      if (/\.[cm]?ts$/.test(file) || preloads.some((p) => p.endsWith('.ts'))) {
        const loader = tsxLoader();
        if (!loader) {
          throw new UsageError(`running a TypeScript job needs tsx: npm install tsx (or compile ${job} to JavaScript)`);
        }
        nodeArgs.push('--import', loader);
      }
      for (const p of preloads) nodeArgs.push('--import', pathToFileURL(p).href);
      // fd 3: the pipe (a socket pair) on which the CLI tells the job's preload the signals it got (signalRelay.ts).
      const env: NodeJS.ProcessEnv = { ...process.env, DSTREAMS_PROGRESS: opts.quiet ? '0' : '1', DSTREAMS_SIGNAL_FD: '3', DSTREAMS_RUN: '1' };
      // `port=N`, not a bare N: a bare 0 and 1 mean off and on (uiOptionsFromEnv).
      if (opts.ui || opts.uiPort !== undefined) env.DSTREAMS_UI = opts.uiPort !== undefined ? `port=${opts.uiPort}` : '1';
      const child = spawn(process.execPath, [...nodeArgs, file, ...args], { stdio: ['inherit', 'inherit', 'inherit', 'pipe'], env });
      const stopRelaying = relaySignals(child, child.stdio[3] as Duplex);
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
      stopRelaying();
      if (signal) {
        // Die by the job's signal, as `node job` would: a shell stops its loop on a child killed by SIGINT.
        if (DIE_BY.has(signal)) {
          process.removeAllListeners(signal);
          process.kill(process.pid, signal);
        }
        // Still here (the signal is ignored, or not one to die by): its exit code.
        process.exitCode = 128 + (constants.signals[signal] ?? 0);
      } else process.exitCode = code ?? 1;
    });

  program.addCommand(generateCommand());
  program.addCommand(meetupCommand());
  program.addCommand(tweetsCommand());
  return program;
}
