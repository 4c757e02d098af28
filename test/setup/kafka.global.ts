// Vitest global setup: one real Kafka broker for the whole `npm test` run.
//
// - KAFKA_BROKERS set (e.g. "127.0.0.1:9092"): that cluster is used as it is; nothing is started.
// - Otherwise, if any test file of the run mentions Kafka (see runNeedsKafka; KAFKA_TEST_BROKER=always
//   forces it), `bash scripts/kafka.sh up --fresh` starts a single-node KRaft broker on two random
//   free ports below 32768 (test/helpers/ports.ts: not the ephemeral range, which outgoing
//   connections take; not a fixed 9092, which two concurrent runs would race for). When the
//   script says a port is taken (exit code 3: another run got there between our check and the
//   broker's bind) it tries other ports. Teardown stops the broker and wipes its data.
//   Starting takes about 3 s once the jars are in .cache/kafka/libs (`bash scripts/kafka.sh fetch`).
//
// Tests read the broker list with `kafkaBrokers()` from test/helpers/kafka.ts, which uses
// `inject('kafkaBrokers')` and falls back to process.env.KAFKA_BROKERS. If the broker could not be
// started, the run goes on (tests that do not need Kafka still pass) and `kafkaBrokers()` throws
// `kafkaError`, which says what is missing (java, mvn, the jars), so every Kafka test fails with it.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { freePorts } from '../helpers/ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated `host:port` list of the run's Kafka broker(s); '' when none could be had. */
    kafkaBrokers: string;
    /** Why there is no broker ('' when there is one). */
    kafkaError: string;
    /** Client and controller port of the broker this setup started (0 when it started none). */
    kafkaPort: number;
    kafkaControllerPort: number;
  }
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = path.join(ROOT, 'scripts', 'kafka.sh');
const LIBS = path.join(process.env.KAFKA_CACHE_DIR ?? path.join(ROOT, '.cache', 'kafka'), 'libs');

function onPath(cmd: string): boolean {
  try {
    execFileSync('bash', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function jarsPresent(): boolean {
  return existsSync(LIBS) && readdirSync(LIBS).some((f) => /^kafka_2\.13-.*\.jar$/.test(f));
}

class ScriptError extends Error {
  constructor(message: string, readonly exitCode: number | null) {
    super(message);
  }
}

function runScript(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [SCRIPT, ...args], { env, timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const out = `${stdout}${stderr}`.trim();
      if (err) reject(new ScriptError(out || err.message, typeof err.code === 'number' ? err.code : null));
      else resolve(out);
    });
  });
}

/** A readable account of why no broker could be started. */
function diagnose(scriptOutput: string): string {
  const missing: string[] = [];
  if (!onPath('java')) missing.push('java is not installed (Java 17+ runs the Kafka broker)');
  if (!jarsPresent()) {
    missing.push(`Kafka's jars are not in ${LIBS} (run \`bash scripts/kafka.sh fetch\`)`);
    if (!onPath('mvn')) missing.push('Maven (mvn) is not installed, so the jars cannot be fetched');
  }
  return [
    'No Kafka broker for the tests: `bash scripts/kafka.sh up` failed' +
      (missing.length ? ` — ${missing.join('; ')}.` : '.'),
    'Alternatively point KAFKA_BROKERS at a running broker (host:port).',
    scriptOutput ? `Output of scripts/kafka.sh:\n${scriptOutput}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * Whether any test file of this run mentions Kafka (in its path or its text), so that a run of
 * unit tests only (`npx vitest run test/core`) does not pay for a broker. The CLI's file filters
 * are read from vitest's internal `filenamePattern`; without them every test file is looked at,
 * which errs on the side of starting. KAFKA_TEST_BROKER=always starts it whatever the files say.
 */
async function runNeedsKafka(project: TestProject): Promise<boolean> {
  if (process.env.KAFKA_TEST_BROKER === 'always') return true;
  try {
    const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern ?? [];
    const { testFiles } = await project.globTestFiles(filters);
    return testFiles.some((f) => /kafka/i.test(path.relative(ROOT, f)) || /kafka/i.test(readFileSync(f, 'utf8')));
  } catch {
    return true;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    project.provide('kafkaBrokers', external);
    project.provide('kafkaError', '');
    project.provide('kafkaPort', 0);
    project.provide('kafkaControllerPort', 0);
    return async () => {};
  }

  if (!(await runNeedsKafka(project))) {
    project.provide('kafkaBrokers', '');
    project.provide(
      'kafkaError',
      'No Kafka broker was started: no test file of this run mentions "kafka" (test/setup/kafka.global.ts ' +
        'looks at the paths and texts of the files it runs). Run with KAFKA_TEST_BROKER=always, or set KAFKA_BROKERS.',
    );
    project.provide('kafkaPort', 0);
    project.provide('kafkaControllerPort', 0);
    return async () => {};
  }

  let [port, controllerPort] = (await freePorts(2)) as [number, number];
  let env: NodeJS.ProcessEnv = {};
  let started = false;
  let error = '';
  const t0 = Date.now();
  for (let attempt = 1; ; attempt++) {
    env = {
      ...process.env,
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(controllerPort),
      // A watchdog stops and wipes the broker if this process dies without running teardown.
      KAFKA_OWNER_PID: String(process.pid),
    };
    try {
      // `up` fetches the jars first when they are missing (slow only on a cold Maven cache).
      // --fresh never joins a broker that is already there (another `npm test` in this checkout
      // may own it): the script then exits 3 and we try other ports.
      await runScript(['up', '--fresh'], env, 15 * 60_000);
      started = true;
      break;
    } catch (e) {
      if (e instanceof ScriptError && e.exitCode === 3 && attempt < 8) {
        [port, controllerPort] = (await freePorts(2)) as [number, number];
        continue;
      }
      error = diagnose((e as Error).message);
      break;
    }
  }

  const stopSync = (): void => {
    if (!started) return;
    started = false;
    try {
      execFileSync('bash', [SCRIPT, 'reset'], { env, stdio: 'ignore', timeout: 60_000 });
    } catch {
      /* best effort */
    }
  };
  // If vitest exits before teardown runs, do not leave a broker behind (for a vitest killed
  // outright, the script's watchdog does the same within a second or so).
  process.once('exit', stopSync);

  const brokers = started ? `127.0.0.1:${port}` : '';
  project.provide('kafkaBrokers', brokers);
  project.provide('kafkaError', error);
  project.provide('kafkaPort', started ? port : 0);
  project.provide('kafkaControllerPort', started ? controllerPort : 0);
  if (started) {
    process.env.KAFKA_BROKERS = brokers;
    process.env.KAFKA_PORT = String(port);
    process.env.KAFKA_CONTROLLER_PORT = String(controllerPort);
    if (process.env.KAFKA_SETUP_VERBOSE) console.log(`[kafka] broker up on ${brokers} in ${Date.now() - t0} ms`);
  } else {
    console.warn(`[kafka] ${error}`);
  }

  return async () => {
    process.removeListener('exit', stopSync);
    if (!started) return;
    started = false;
    delete process.env.KAFKA_BROKERS;
    delete process.env.KAFKA_PORT;
    delete process.env.KAFKA_CONTROLLER_PORT;
    try {
      await runScript(['reset'], env, 90_000);
    } catch (e) {
      console.warn(`[kafka] stopping the test broker failed: ${(e as Error).message}`);
    }
  };
}
