/**
 * Seed 004's query, shared by examples/structured/meetup-pipeline.ts and bench/structured-meetup.ts:
 * the schema as the seed's PySpark code writes it, from_json over the Kafka value, the flattening
 * and the 12-column groupBy with count(response).
 */
import {
  ArrayType,
  DoubleType,
  StringType,
  StructField,
  StructType,
  functions as func,
  type DataFrame,
  type SparkSession,
} from '../../src/index.js';

export interface MeetupQueryOptions {
  bootstrap_server: string;
  topic_name: string;
  startingOffsets: string;
  maxOffsetsPerTrigger?: string;
  printSchema?: boolean;
}

/** Seed 004's schema, as its PySpark code writes it. */
export function meetupSchema(): StructType {
  return new StructType([
    new StructField('venue', new StructType([
      new StructField('venue_name', new StringType(), true),
      new StructField('lon', new StringType(), true),
      new StructField('lat', new StringType(), true),
      new StructField('venue_id', new StringType(), true),
    ])),
    new StructField('visibility', new StringType(), true),
    new StructField('response', new StringType(), true),
    new StructField('guests', new StringType(), true),
    new StructField('member', new StructType([
      new StructField('member_id', new StringType(), true),
      new StructField('photo', new StringType(), true),
      new StructField('member_name', new StringType(), true),
    ])),
    new StructField('rsvp_id', new StringType(), true),
    new StructField('mtime', new StringType(), true),
    new StructField('event', new StructType([
      new StructField('event_name', new StringType(), true),
      new StructField('event_id', new StringType(), true),
      new StructField('time', new StringType(), true),
      new StructField('event_url', new StringType(), true),
    ])),
    new StructField('group', new StructType([
      new StructField('group_topics', new ArrayType(new StructType([
        new StructField('urlkey', new StringType(), true),
        new StructField('topic_name', new StringType(), true),
      ]), true), true),
      new StructField('group_city', new StringType(), true),
      new StructField('group_country', new StringType(), true),
      new StructField('group_id', new StringType(), true),
      new StructField('group_name', new StringType(), true),
      new StructField('group_lon', new StringType(), true),
      new StructField('group_urlname', new StringType(), true),
      new StructField('group_state', new StringType(), true),
      new StructField('group_lat', new StringType(), true),
    ])),
  ]);
}

export function meetupQuery(spark: SparkSession, o: MeetupQueryOptions): DataFrame {
  const schema = meetupSchema();

  let reader = spark.readStream
    .format('kafka')
    .option('kafka.bootstrap.servers', o.bootstrap_server)
    .option('subscribe', o.topic_name)
    .option('startingOffsets', o.startingOffsets);
  if (o.maxOffsetsPerTrigger) reader = reader.option('maxOffsetsPerTrigger', o.maxOffsetsPerTrigger);
  let df: DataFrame = reader.load();

  // The 'value' field holds the JSON message: parse it with the schema, keep the Kafka timestamp.
  df = df
    .select(func.from_json(func.col('value').cast('string'), schema).alias('data'), func.col('timestamp'))
    .select('data.*', 'timestamp');
  if (o.printSchema) df.printSchema();

  // The seed groups by the flattened fields (venue.*, event.*, group.*).
  df = df.select('venue.*', 'event.*', 'group.*', 'response');

  const final_df = df
    .groupBy(
      func.col('event_name'), func.col('event_url'), func.col('time').alias('event_time'), func.col('group_name'),
      func.col('group_country'), func.col('group_state'), func.col('group_city'),
      func.col('group_lat').cast(new DoubleType()).alias('group_lat'), func.col('group_lon').cast(new DoubleType()).alias('group_lon'),
      func.col('lat').cast(new DoubleType()).alias('lat'), func.col('lon').cast(new DoubleType()).alias('lon'), func.col('response'),
    )
    .agg(func.count(func.col('response')).alias('response_count'));
  return final_df;
}
