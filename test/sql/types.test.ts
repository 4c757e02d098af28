import { describe, expect, it } from 'vitest';
import {
  ArrayType,
  DoubleType,
  IntegerType,
  LongType,
  parseDDL,
  StringType,
  StructField,
  StructType,
} from '../../src/sql/index.js';

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

describe('types', () => {
  it("prints seed 004's schema as Spark's printSchema tree", () => {
    const tree = meetupSchema().add('timestamp', 'timestamp').treeString();
    expect(tree).toContain(' |-- venue: struct (nullable = true)\n |    |-- venue_name: string (nullable = true)\n');
    expect(tree).toContain(
      ' |-- group: struct (nullable = true)\n |    |-- group_topics: array (nullable = true)\n |    |    |-- element: struct (containsNull = true)\n |    |    |    |-- urlkey: string (nullable = true)\n',
    );
    expect(tree.endsWith(' |-- timestamp: timestamp (nullable = true)\n')).toBe(true);
    expect(tree.startsWith('root\n')).toBe(true);
  });

  it("Listing 7.11's builder and DDL strings give the same schema", () => {
    const built = new StructType().add('TripID', 'integer').add('StartStation', 'string').add('n', 'long');
    const ddl = parseDDL('TripID INT, StartStation STRING, n BIGINT');
    expect(built.simpleString()).toBe('struct<TripID:int,StartStation:string,n:bigint>');
    expect(ddl.simpleString()).toBe(built.simpleString());
    expect(parseDDL('id LONG, location STRING').fields.map((f) => [f.name, f.dataType])).toEqual([
      ['id', new LongType()],
      ['location', new StringType()],
    ]);
    expect(new IntegerType()).toBe(new IntegerType());
    expect(parseDDL('a: array<double>, s struct<x: int>').simpleString()).toBe('struct<a:array<double>,s:struct<x:int>>');
    expect(new DoubleType().typeName()).toBe('double');
  });

  it('a bad DDL string names the problem and position', () => {
    expect(() => parseDDL('id LONGG')).toThrow(/unknown type 'longg' at position 3/);
    expect(() => parseDDL('id LONG location STRING')).toThrow(/expected ',' between fields at position 8/);
  });
});
