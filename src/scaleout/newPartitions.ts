/**
 * How soon a running job notices partitions added to its inputs. The group's assignment follows
 * the partitions its leader's kafkajs consumer knows of, and that consumer refreshes its metadata
 * only every `metadataMaxAge` (5 min by default): until then the new partitions are nobody's.
 * The copies' group members refresh every PARTITION_CHECK_MS instead: a member that sees more
 * partitions rejoins, and the leader's rejoin makes the group assign them (a rebalance). The new
 * partitions are read from their start (starts.ts), so nothing written to them meanwhile is missed.
 */
import type { ConsumerConfig, Kafka } from 'kafkajs';

export const PARTITION_CHECK_MS = 5000;

/** `kafka`, its consumers refreshing their metadata every PARTITION_CHECK_MS (for the copy's group member, kafka/group.ts). */
export function checkingPartitions(kafka: Kafka): Kafka {
  const consumer = kafka.consumer.bind(kafka);
  return Object.assign(Object.create(kafka) as Kafka, {
    consumer: (config: ConsumerConfig) => consumer({ metadataMaxAge: PARTITION_CHECK_MS, ...config }),
  });
}
