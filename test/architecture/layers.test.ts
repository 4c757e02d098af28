/**
 * The layer order of src/ (docs/architecture.md), checked on every test run:
 *
 * - no import cycle between files, type-only ones included, except DStream ↔ DStreamGraph (both
 *   sides `import type`: the graph holds streams, a stream knows its graph);
 * - no runtime import from a folder to a folder of a higher layer, nor to another folder of the
 *   same layer (peers stay independent). `import type` may name a type from above (a stream's
 *   `CompletedBatchInfo`, a sink's `StreamingContext` parameter): it is erased, loads nothing;
 * - every folder of src/ has a layer: a new folder is one line in LAYERS.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cycles, importEdges, sourceFiles } from './imports.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/** Bottom first. A module may load (runtime import) only modules of its own folder or a lower layer. */
const LAYERS: ReadonlyArray<readonly [folder: string, layer: number]> = [
  ['util', 0], // dependency-free helpers (durations, sleep, cause chains, checkpoint folder names and errors)
  ['sinks/postgres', 1], // imports nothing from the engine (only util): usable without it
  ['rdd', 1],
  ['kafka', 2], // transport: client, params, retry, OffsetRange, KafkaRDD
  ['kinesis', 2], // transport: AWS clients, shards, GetRecords, the KCL-style lease table, KinesisRDD
  ['dstream', 3],
  ['rate', 4], // PID estimator, rate limiter, the direct streams' rate
  ['window', 5],
  ['state', 5],
  ['checkpoint', 5],
  ['receivers', 5], // receiver inputs (KafkaReceiver, KinesisReceiver), WAL, socket, files
  ['direct', 5], // direct inputs (DirectKafkaInputDStream, DirectKinesisInputDStream)
  ['sinks/kafka', 5],
  ['workers', 5], // the worker-thread pool and which shuffles of a batch it runs
  ['scaleout', 5.5], // scale-out over Kafka: group assignment, repartition and changelog topics (uses direct, state)
  ['context', 6], // StreamingContext: creates the core inputs, loads every operator
  ['inputs', 7], // KafkaUtils, KinesisUtils: the public facades that create transport streams
  ['sql', 7], // Structured Streaming (coming)
  ['ui', 7], // web UI (coming)
  ['exactlyonce', 8], // library: Kafka direct → PostgresSink exactly once
  ['index.ts', 9], // the package's public API
  ['apps', 10], // applications (meetup, tweets): use the public API
  ['threads', 10], // a worker thread's entry: builds the job's context from its module
  ['cli', 11], // the dstreams command
];

function folderOf(file: string): string {
  const match = LAYERS.map(([f]) => f)
    .filter((f) => file === f || file.startsWith(`${f}/`))
    .sort((a, b) => b.length - a.length)[0];
  if (match === undefined) throw new Error(`src/${file} is in no layer: add its folder to LAYERS in test/architecture/layers.test.ts`);
  return match;
}
const layerOf = (folder: string): number => LAYERS.find(([f]) => f === folder)![1];

describe('src layers', () => {
  const edges = importEdges(SRC);

  it('reads the imports (the parser sees the files and their edges)', () => {
    expect(sourceFiles(SRC).length).toBeGreaterThan(100);
    expect(edges).toContainEqual({ from: 'dstream/DStream.ts', to: 'dstream/DStreamGraph.ts', typeOnly: true });
    expect(edges).toContainEqual({ from: 'context/StreamingContext.ts', to: 'state/index.ts', typeOnly: false });
  });

  it('gives every folder of src a layer', () => {
    const missing = sourceFiles(SRC)
      .map((f) => path.relative(SRC, f))
      .filter((f) => {
        try {
          folderOf(f);
          return false;
        } catch {
          return true;
        }
      });
    expect(missing).toEqual([]);
    const dirs = readdirSync(SRC).filter((d) => statSync(path.join(SRC, d)).isDirectory());
    for (const d of dirs) expect(LAYERS.some(([f]) => f === d || f.startsWith(`${d}/`)), `src/${d}`).toBe(true);
  });

  it('has no import cycle except the type-only DStream ↔ DStreamGraph pair', () => {
    const allowed = JSON.stringify(['dstream/DStream.ts', 'dstream/DStreamGraph.ts']);
    expect(cycles(edges).filter((c) => JSON.stringify(c) !== allowed)).toEqual([]);
    const pair = edges.filter((e) => [e.from, e.to].every((f) => JSON.parse(allowed).includes(f)));
    expect(pair.every((e) => e.typeOnly)).toBe(true);
  });

  it('loads nothing from a higher layer nor from a peer folder of the same layer', () => {
    const upward = edges
      .filter((e) => !e.typeOnly)
      .filter((e) => {
        const from = folderOf(e.from);
        const to = folderOf(e.to);
        return from !== to && layerOf(to) >= layerOf(from);
      })
      .map((e) => `${e.from} → ${e.to}`);
    expect(upward).toEqual([]);
  });

  it('keeps sinks/postgres free of the engine and the Kafka transport free of its users', () => {
    const bad = edges
      .filter((e) => folderOf(e.from) === 'sinks/postgres' && !['sinks/postgres', 'util'].includes(folderOf(e.to)))
      .concat(edges.filter((e) => folderOf(e.from) === 'kafka' && !['kafka', 'rdd', 'util'].includes(folderOf(e.to))))
      .map((e) => `${e.from} → ${e.to}`);
    expect(bad).toEqual([]);
  });

  it('gives every DStream all of its operations: the context module loads them', async () => {
    // Only the context is imported here (this file loads nothing else of src): no job can get
    // a stream without a context, so no job can see a DStream without its methods.
    const { StreamingContext } = await import('../../src/context/StreamingContext.js');
    const { DStream } = await import('../../src/dstream/DStream.js');
    expect(StreamingContext).toBeTypeOf('function');
    const proto = DStream.prototype as unknown as Record<string, unknown>;
    for (const op of ['map', 'reduceByKey', 'window', 'reduceByKeyAndWindow', 'countByWindow', 'updateStateByKey', 'mapWithState', 'repartitionByKey']) {
      expect(proto[op], op).toBeTypeOf('function');
    }
  });
});
