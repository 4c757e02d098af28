import { describe, expect, it } from 'vitest';
import { meetupSchema } from './helpers.js';
import {
  DoubleType,
  IntegerType,
  LongType,
  parseDDL,
  StringType,
  StructType,
} from '../../src/sql/index.js';

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
