// A "broker" that accepts TCP connections but never answers (another service on the port, a
// firewall black hole): start() and createRDD fail within retry.timeout.ms, not after kafkajs's
// own request timeouts and retries (about a minute).
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KafkaUtils, ManualClock, StreamingContext } from '../../src/index.js';

let server: net.Server;
let brokers: string;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('data', () => {});
    sock.on('error', () => {});
    sock.on('close', () => sockets.delete(sock));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  brokers = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

const RETRY_MS = 1500;

/** `p`'s outcome and how long it took, giving up after 15 s (the old behaviour took a minute). */
async function timed(p: Promise<unknown>): Promise<{ ms: number; error: string }> {
  const t0 = Date.now();
  const error = await Promise.race([
    p.then(
      () => 'resolved',
      (e: unknown) => (e as Error).message,
    ),
    new Promise<string>((r) => setTimeout(() => r('still waiting after 15 s'), 15_000).unref()),
  ]);
  return { ms: Date.now() - t0, error };
}

it('a direct stream start() fails after retry.timeout.ms, saying Kafka did not answer', { timeout: 30_000 }, async () => {
  const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
  KafkaUtils.createDirectStream(ssc, ['t'], { 'metadata.broker.list': brokers, 'retry.timeout.ms': RETRY_MS }).foreachRDD(() => {});
  const r = await timed(ssc.start());
  await ssc.stop();
  expect(r.error).toMatch(new RegExp(`looking up the offsets of \\["t"\\] \\(Kafka ${brokers}\\) failed: Kafka did not answer`));
  expect(r.ms).toBeLessThan(RETRY_MS + 1500);
});

it('createRDD fails after retry.timeout.ms', { timeout: 30_000 }, async () => {
  const r = await timed(
    KafkaUtils.createRDD(undefined, { 'metadata.broker.list': brokers, 'retry.timeout.ms': RETRY_MS }, [{ topic: 't', partition: 0, fromOffset: 0, untilOffset: 1 }]),
  );
  expect(r.error).toMatch(/Kafka did not answer/);
  expect(r.ms).toBeLessThan(RETRY_MS + 1500);
});
