/**
 * `sink.storedOffsets()` → `KafkaUtils.createDirectStream(…, fromOffsets)` in one call: a direct
 * stream that starts where the sink's last committed batch ended (a partition added to one of
 * the sink's topics since starts at its log start; the partitions of topics the sink has no
 * offsets for start as `auto.offset.reset` says). For the whole restart decision, checkpoint or
 * sink, see `resumeFromSink` in exactlyOnce.ts.
 */
import type { StreamingContext } from '../context/StreamingContext.js';
import type { DirectKafkaInputDStream } from '../direct/DirectKafkaInputDStream.js';
import { KafkaUtils } from '../inputs/KafkaUtils.js';
import type { KafkaParams } from '../kafka/params.js';
import type { PostgresSink } from '../sinks/postgres/index.js';
import { storedFromOffsets } from './exactlyOnce.js';

export async function directStreamFromSink(
  ssc: StreamingContext,
  sink: PostgresSink<any>,
  topics: string[],
  kafkaParams: KafkaParams,
): Promise<DirectKafkaInputDStream> {
  return KafkaUtils.createDirectStream(ssc, topics, kafkaParams, await storedFromOffsets(sink, topics));
}
