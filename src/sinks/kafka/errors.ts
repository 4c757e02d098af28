/**
 * The Kafka sink's failures, named: which sink, topic and brokers, and what went wrong in terms
 * of the records (the one that would not serialise, the size of one Kafka refused, a topic that
 * changed under the sink) — kafkajs's own messages name none of these. The original error is the
 * `cause`.
 */
import type { Admin, ConfigResourceTypes } from 'kafkajs';
import { causeChain } from '../../util/causeChain.js';

export class KafkaSinkError extends Error {
  override readonly cause: unknown;
  readonly topic: string;
  readonly brokers: string;
  constructor(message: string, topic: string, brokers: string, cause?: unknown) {
    super(message);
    this.name = 'KafkaSinkError';
    this.topic = topic;
    this.brokers = brokers;
    this.cause = cause;
  }
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function hasType(err: unknown, types: readonly string[]): boolean {
  return causeChain(err).some((e) => typeof e === 'object' && e !== null && types.includes(String((e as { type?: unknown }).type ?? '')));
}

/** Kafka refused a record (or a request) as larger than the topic or broker allows. */
export const isTooLarge = (err: unknown): boolean => hasType(err, ['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/**
 * What an idempotent producer hears when its topic is deleted (and maybe created again, by
 * auto.create.topics.enable) under it: the partition is gone, or it no longer knows the
 * producer's sequence numbers.
 */
export const mayBeTopicChange = (err: unknown): boolean =>
  hasType(err, ['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_PRODUCER_ID']);

/** kafkajs's ConfigResourceTypes.TOPIC (its enum is no named export of the ESM view of kafkajs). */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/** The topic's max.message.bytes, or undefined when it cannot be read. */
export async function maxMessageBytes(admin: Pick<Admin, 'describeConfigs'>, topic: string): Promise<number | undefined> {
  const r = await admin
    .describeConfigs({ includeSynonyms: false, resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ['max.message.bytes'] }] })
    .catch(() => undefined);
  const v = r?.resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue;
  return v === undefined ? undefined : Number(v);
}

/** What a sink knew of its topic: partitions and, per partition, the offset after its last acknowledged record. */
export interface TopicView {
  partitions: number | undefined;
  written: ReadonlyMap<number, number>;
}

/** The topic as it is now: undefined when it does not exist. */
export interface TopicNow {
  partitions: number;
  /** Log-end offset of each partition. */
  ends: ReadonlyMap<number, number>;
}

/** `topic` as it is now: its partitions and their log ends; undefined when it does not exist. */
export async function topicNow(admin: Pick<Admin, 'listTopics' | 'fetchTopicOffsets'>, topic: string): Promise<TopicNow | undefined> {
  if (!(await admin.listTopics()).includes(topic)) return undefined;
  const offsets = await admin.fetchTopicOffsets(topic);
  return { partitions: offsets.length, ends: new Map(offsets.map((o) => [o.partition, Number(o.high)])) };
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/**
 * How the topic differs from what the sink saw, as a sentence: deleted, fewer
 * partitions, or a partition whose log ends before records the sink wrote there (deleted and
 * created again). Undefined when nothing says it changed.
 */
export function topicChange(before: TopicView, now: TopicNow | undefined): string | undefined {
  const had = before.partitions === undefined ? '' : `, ${plural(before.partitions, 'partition')} before`;
  const under = 'while the sink wrote to it';
  if (now === undefined) return `The topic was deleted ${under}: it does not exist now${had}`;
  // Fewer partitions: Kafka cannot take partitions away, so it is another topic (more may be added).
  if (before.partitions !== undefined && now.partitions < before.partitions) {
    return `The topic was deleted and created again ${under}: it has ${plural(now.partitions, 'partition')} now${had}`;
  }
  for (const [p, end] of before.written) {
    const nowEnd = now.ends.get(p);
    if (nowEnd === undefined || nowEnd < end) {
      return `The topic was deleted and created again (or the broker lost records) ${under}: partition ${p} ends at offset ${nowEnd ?? 'none'} now, though the sink had written offset ${end - 1} there before`;
    }
  }
  return undefined;
}

/**
 * A producer failure of the sink, named: the topic and brokers, what failed (`what`, default
 * "could not write N records"), kafkajs's message, then what the sink knows of it (`after`).
 */
export function sendError(topic: string, brokers: string, records: number, err: unknown, what?: string, after?: string): KafkaSinkError {
  const message = `KafkaSink for topic ${topic} (brokers ${brokers}) ${what ?? `could not write ${plural(records, 'record')}`}: ${messageOf(err)}`;
  return new KafkaSinkError(after ? `${message}. ${after}` : message, topic, brokers, err);
}

/** After a too-large refusal: the largest record's size against the topic's limit. */
export function tooLargeDetail(largest: number, limit: number | undefined): string {
  return (
    `The largest record of the request is ${largest} bytes (key and value), against the topic's max.message.bytes of ` +
    `${limit ?? "the broker's message.max.bytes (1048588 unless configured; it could not be read)"}: make the record smaller, or raise max.message.bytes on the topic`
  );
}

/** A key or value that could not be made into bytes, or a key/value function that threw. */
export function serialiseError(topic: string, brokers: string, index: number, which: 'key' | 'value', err: unknown): KafkaSinkError {
  return new KafkaSinkError(
    `KafkaSink for topic ${topic} (brokers ${brokers}) could not serialise the ${which} of record ${index} of the batch: ${messageOf(err)}`,
    topic,
    brokers,
    err,
  );
}
