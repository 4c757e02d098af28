// scripts/kafka.sh formats a broker's storage with a cluster id that may begin with '-'
// (random URL-safe base64: 1 id in 64). Passed as a separate argument, the Kafka tool's parser
// read it as an option and `up --fresh` failed by luck; it is now `--cluster-id=<id>`. And the
// ports the tests' brokers and servers take are random, free and below the ephemeral range.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { freePort, freePorts, TEST_PORT_MAX, TEST_PORT_MIN } from '../helpers/ports.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = path.join(ROOT, 'scripts', 'kafka.sh');
const CACHE = path.join(process.env.KAFKA_CACHE_DIR ?? path.join(ROOT, '.cache', 'kafka'));

function script(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT, ...args], { env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

/** Formats the data dir of a port of its own with `clusterId` (random when undefined); returns the id stored. */
async function format(clusterId: string | undefined): Promise<string> {
  const port = await freePort();
  const env: Record<string, string> = { KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(await freePort([port])) };
  if (clusterId !== undefined) env.KAFKA_CLUSTER_ID = clusterId;
  try {
    const r = await script(['format'], env);
    expect(r.code, r.out).toBe(0);
    const meta = readFileSync(path.join(CACHE, `data-${port}`, 'meta.properties'), 'utf8');
    return /^cluster\.id=(.*)$/m.exec(meta)![1]!;
  } finally {
    await script(['reset'], env);
  }
}

describe('scripts/kafka.sh format', () => {
  it('formats with cluster ids that begin with "-", and with random ones, every time', { timeout: 120_000 }, async () => {
    // Ids a random draw gives about once in 64 starts, the failing case of issue 16, forced.
    const forced = ['-AbCdEfGhIjKlMnOpQrStU', '--cluster-id-AAAAAAAA', '-t_AAAAAAAAAAAAAAAAAAA', '-c-AAAAAAAAAAAAAAAAAAA'];
    for (let i = 0; i < forced.length; i += 2) {
      const got = await Promise.all(forced.slice(i, i + 2).map((id) => format(id)));
      expect(got).toEqual(forced.slice(i, i + 2));
    }
    const random = await Promise.all([format(undefined), format(undefined)]);
    for (const id of random) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('test ports', () => {
  it('are random, distinct, free and below the ephemeral range (32768+)', async () => {
    const ports = await freePorts(50);
    expect(new Set(ports).size).toBe(50);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(TEST_PORT_MIN);
      expect(p).toBeLessThanOrEqual(TEST_PORT_MAX);
    }
  });

  it("put the run's own broker below 32768 (when the global setup started one)", () => {
    const port = inject('kafkaPort');
    // 0: KAFKA_BROKERS named an outside broker, whose ports are not ours to choose.
    if (port !== 0) {
      expect(port).toBeLessThan(32768);
      expect(inject('kafkaControllerPort')).toBeLessThan(32768);
    } else expect(process.env.KAFKA_BROKERS ?? inject('kafkaBrokers')).toBeTruthy();
  });
});
