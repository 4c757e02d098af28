/**
 * Is Kafka there? One attempt: connect an admin client to the brokers and ask for the cluster's
 * metadata, within `timeoutMs` (default 3 s; kafkajs does not retry). `waitForKafka` repeats it
 * as a program starts, saying what it does (util/waitForService.ts).
 */
import { Kafka, logLevel } from 'kafkajs';
import { waitForService, type WaitForServiceOptions } from '../util/waitForService.js';
import { parseBrokerList } from './params.js';

export async function probeKafka(brokers: readonly string[], timeoutMs = 3000): Promise<void> {
  const kafka = new Kafka({
    clientId: 'dstreams-probe',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000} s`)), timeoutMs + 500);
  });
  try {
    await Promise.race([
      (async () => {
        await admin.connect();
        await admin.describeCluster();
      })(),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

export type WaitForKafkaOptions = Partial<Pick<WaitForServiceOptions, 'hint' | 'log' | 'retryMs' | 'giveUpMs' | 'signal'>> & {
  /** How a malformed list is named in its error (default "broker list"). */
  what?: string;
};

/** Waits until the brokers answer, one line per failed attempt; throws ServiceUnreachableError when giving up. */
export function waitForKafka(brokers: string | readonly string[], o: WaitForKafkaOptions = {}): Promise<void> {
  // A list that is not host:port fails now, naming the entry: no reconnecting would fix it.
  const list = parseBrokerList(typeof brokers === 'string' ? brokers : brokers.join(','), o.what ?? 'broker list');
  return waitForService({
    service: 'Kafka',
    address: list.join(','),
    probe: () => probeKafka(list),
    hint: o.hint ?? 'set --brokers or KAFKA_BROKERS',
    ...o,
  });
}
