/** A Kafka offset range, `untilOffset` exclusive: what one partition of a KafkaRDD reads. */
export interface OffsetRange {
  topic: string;
  partition: number;
  fromOffset: number;
  untilOffset: number;
}
