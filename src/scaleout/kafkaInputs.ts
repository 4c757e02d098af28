import { DirectKafkaInputDStream } from '../direct/DirectKafkaInputDStream.js';
import type { DStream } from '../dstream/DStream.js';

/** The direct Kafka streams `stream` is computed from (the nearest ones on each path up the graph). */
export function kafkaInputsOf(stream: DStream<unknown>, seen = new Set<DStream<unknown>>()): DirectKafkaInputDStream[] {
  if (seen.has(stream)) return [];
  seen.add(stream);
  if (stream instanceof DirectKafkaInputDStream) return [stream];
  return [...new Set(stream.dependencies.flatMap((d) => kafkaInputsOf(d, seen)))];
}
