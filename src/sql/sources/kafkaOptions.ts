/**
 * The Kafka source's options, checked when the source is defined (`load()`), as Spark's
 * KafkaSourceProvider checks them: where to start, how to subscribe, what a streaming query refuses.
 */
import { AnalysisException, IllegalArgumentException } from '../errors.js';

/** `{ topic: { partition: offset } }`, partitions as strings (Spark's JSON). */
export type KafkaOffsets = Record<string, Record<string, number>>;

export type Subscription = { subscribe: string[] } | { pattern: RegExp } | { assign: Record<string, number[]> };

export function parseStarting(v: string | undefined): 'earliest' | 'latest' | KafkaOffsets {
  if (v === undefined || v.trim().toLowerCase() === 'latest') return 'latest';
  if (v.trim().toLowerCase() === 'earliest') return 'earliest';
  const bad = () => new AnalysisException(`startingOffsets must be 'earliest', 'latest' or JSON such as {"topic":{"0":23,"1":-2}} (-2 earliest, -1 latest), got ${v}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    throw bad();
  }
  const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isObject(parsed)) throw bad();
  for (const parts of Object.values(parsed)) {
    if (!isObject(parts)) throw bad();
    for (const [p, o] of Object.entries(parts)) {
      if (!/^\d+$/.test(p) || typeof o !== 'number' || !Number.isSafeInteger(o) || o < -2) throw bad();
    }
  }
  return parsed as KafkaOffsets;
}

export function parseBoolean(name: string, v: string | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  const t = v.trim().toLowerCase();
  if (t !== 'true' && t !== 'false') throw new AnalysisException(`${name} must be true or false, got ${v}`);
  return t === 'true';
}

/**
 * Spark's KafkaSourceProvider.CUSTOM_GROUP_ID_ERROR_MESSAGE: `kafka.group.id` is allowed (Spark 3.x),
 * with this warning.
 */
export const CUSTOM_GROUP_ID_ERROR_MESSAGE =
  "Kafka option 'kafka.group.id' has been set on this query, it is not recommended to set this option. This option is unsafe to use since multiple " +
  'concurrent queries or sources using the same group id will interfere with each other as they are part of the same consumer group. Restarted queries ' +
  'may also suffer interference from the previous run having the same group id. The user should have only one query per group id, and/or set the option ' +
  "'kafka.session.timeout.ms' to be very small so that the Kafka consumers from the previous query are marked dead by the Kafka group coordinator before the " +
  'restarted query starts running.';

/**
 * Spark's KafkaSourceProvider.validateStreamOptions, the options it refuses (options are
 * case-insensitive): a streaming query has no end, and the source itself decides where to start,
 * how records are deserialized and what is committed.
 */
export function refuseStreamOptions(options: Record<string, string>): void {
  if (options.endingOffsets !== undefined) throw new AnalysisException('ending offset not valid in streaming queries');
  if (options.endingOffsetsByTimestamp !== undefined) throw new AnalysisException('ending timestamp not valid in streaming queries');
  if (options['kafka.auto.offset.reset'] !== undefined) {
    throw new AnalysisException(
      "Kafka option 'auto.offset.reset' is not supported. Instead set the source option 'startingoffsets' to 'earliest' or 'latest' to specify where to " +
        'start. Structured Streaming manages which offsets are consumed internally, rather than relying on the kafkaConsumer to do it. This will ensure ' +
        "that no data is missed when new topics/partitions are dynamically subscribed. Note that 'startingoffsets' only applies when a new Streaming query " +
        'is started, and that resuming will always pick up from where the query left off. See the docs for more details.',
    );
  }
  if (options['kafka.key.deserializer'] !== undefined) {
    throw new AnalysisException(
      "Kafka option 'key.deserializer' is not supported as keys are deserialized as byte arrays with ByteArrayDeserializer. Use DataFrame operations to explicitly deserialize the keys.",
    );
  }
  if (options['kafka.value.deserializer'] !== undefined) {
    throw new AnalysisException(
      "Kafka option 'value.deserializer' is not supported as values are deserialized as byte arrays with ByteArrayDeserializer. Use DataFrame operations to explicitly deserialize the values.",
    );
  }
  for (const c of ['enable.auto.commit', 'interceptor.classes']) {
    if (options[`kafka.${c}`] !== undefined) throw new AnalysisException(`Kafka option '${c}' is not supported`);
  }
}

/**
 * The `assign` option, `{"topicA":[0,1],"topicB":[0]}`, refused as Spark's KafkaSourceProvider and
 * JsonUtils.partitions refuse it (a cast of whatever JSON.parse gave read `"0,1"` as partitions 0 and 1).
 */
export function assignedPartitions(value: string): Record<string, number[]> {
  if (!value.trim().startsWith('{')) {
    throw new IllegalArgumentException(`No topicpartitions to assign as specified value for option 'assign' is '${value}'`);
  }
  const expected = (): IllegalArgumentException => new IllegalArgumentException(`Expected e.g. {"topicA":[0,1],"topicB":[0,1]}, got ${value}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw expected();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw expected();
  const out: Record<string, number[]> = {};
  for (const [topic, parts] of Object.entries(parsed)) {
    if (!Array.isArray(parts) || !parts.every((p) => Number.isInteger(p) && (p as number) >= 0)) throw expected();
    out[topic] = parts as number[];
  }
  if (Object.values(out).every((p) => p.length === 0)) {
    throw new IllegalArgumentException(`No topicpartitions to assign as specified value for option 'assign' is '${value}'`);
  }
  return out;
}
