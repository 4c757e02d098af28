/** The `dstreams` command line: `feed` (serve a file's lines) and `run` (run an example). */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { readLines, tcpTargetProvider, type FeedTarget, type FeedTargetProvider, type Pacing } from './feed.js';
import { kafkaTargetProvider } from './kafkaFeedTarget.js';
import { generateCommand } from '../apps/generateCommand.js';

/** Every target `dstreams feed` knows; each adds its options and runs when they name it. */
const feedTargetProviders: FeedTargetProvider[] = [tcpTargetProvider, kafkaTargetProvider];

const here = path.dirname(fileURLToPath(import.meta.url));
/** The examples folder (the same from src/cli and dist/cli). */
export const EXAMPLES_DIR = path.resolve(here, '../../examples');

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

export function listExamples(dir = EXAMPLES_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

export function buildProgram(): Command {
  const program = new Command('dstreams')
    .description("dstreams: Spark Streaming's DStreams for Node.js — tools for the examples")
    .enablePositionalOptions()
    .showHelpAfterError();

  const feed = program
    .command('feed')
    .description('send the lines of a file to clients (like `while read line; do echo $line; sleep …; done < F | nc -lk PORT`)')
    .requiredOption('--file <file>', 'text file to send, line by line')
    .option('--lines-per-second <n>', 'pace (default: full speed, waiting whenever the client is not reading)', positiveNumber)
    .option('--loop', 'start over at the end of the file, forever')
    .option('--quiet', 'do not log connections');
  for (const p of feedTargetProviders) p.addOptions(feed);
  feed.action(async (opts: Record<string, unknown>) => {
    const log = opts.quiet ? (): void => undefined : (msg: string): void => void process.stderr.write(`dstreams feed: ${msg}\n`);
    const targets = feedTargetProviders.map((p) => p.create(opts)).filter((t): t is FeedTarget => t !== undefined);
    if (targets.length === 0) feed.error('error: say where to send the lines: --port <port> or --kafka-topic <topic>');
    const file = opts.file as string;
    if (!existsSync(file)) feed.error(`error: no such file: ${file}`);
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
    .description('run examples/<example>.ts with tsx, e.g. `dstreams run network-wordcount localhost 9999`')
    .argument('<example>', `one of: ${listExamples().join(', ') || '(none found)'}`)
    .argument('[args...]', 'arguments for the example')
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (example: string, args: string[]) => {
      const name = example.endsWith('.ts') ? example.slice(0, -3) : example;
      const file = path.join(EXAMPLES_DIR, `${name}.ts`);
      if (!existsSync(file)) {
        program.error(`error: no example "${example}"; examples: ${listExamples().join(', ')}`);
      }
      const tsx = createRequire(import.meta.url).resolve('tsx/cli');
      const child = spawn(process.execPath, [tsx, file, ...args], { stdio: 'inherit' });
      const forward = (sig: NodeJS.Signals): void => void child.kill(sig);
      process.on('SIGINT', forward);
      process.on('SIGTERM', forward);
      const code = await new Promise<number>((resolve) =>
        child.on('exit', (c, sig) => resolve(c ?? (sig ? 128 + (sig === 'SIGINT' ? 2 : 15) : 1))),
      );
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      process.exitCode = code;
    });

  program.addCommand(generateCommand());
  return program;
}
