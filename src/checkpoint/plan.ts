/**
 * Which stored stream each stream of a graph resumes from. The same graph (every describing line
 * equal) resumes stream by stream, keyed by position. A changed graph (the job's code changed)
 * resumes only when all its state is named: each named state whose shape still fits is restored
 * under its name, a new one starts empty, one no longer in the graph is dropped (a log line each);
 * inputs with a position are matched in order. Unnamed state keeps the strict rule: the first
 * difference is an error, as in Spark.
 */
import type { Checkpointable } from '../dstream/Checkpointable.js';
import type { DStream } from '../dstream/DStream.js';
import type { DStreamGraph } from '../dstream/DStreamGraph.js';
import { fail } from '../util/checkpointErrors.js';

/** What the batch record says about each checkpointable stream (format 2), by stream key. */
export interface StreamRecord {
  /** An input with a position (Kafka offsets, files, a receiver's log), or state. */
  input: boolean;
  /** The state's name, for named state. */
  name?: string;
  /** What a restored stream must match: operation, window, state store. */
  shape: string;
}

export interface RestorePlan {
  /** For each checkpointable stream of this graph (by key): the stored key it resumes from; undefined starts empty. */
  from: Map<string, string | undefined>;
  /** Stored keys no stream resumes from: removed by the first commit. */
  dropped: string[];
  /** What the plan did beyond a same-graph resume, one line each. */
  log: string[];
}

export type CheckpointedStream = DStream<unknown> & Checkpointable;

/** The stream's key in the store: `n:<name>` for named state, else `s<position>`. */
export function streamKey(s: DStream<unknown> & Partial<Checkpointable>): string {
  return s.stateName !== undefined ? `n:${s.stateName}` : `s${s.id}`;
}

/** The describing line of one stream; two graphs match when every line matches. */
export function describeStream(s: DStream<unknown>): string {
  const parts = [`#${s.id} ${s.kind}`, `slide=${s.slideDuration}`];
  const windowDuration = (s as { windowDuration?: unknown }).windowDuration;
  if (typeof windowDuration === 'number') parts.push(`window=${windowDuration}`);
  parts.push(`deps=[${s.dependencies.map((d) => d.id).join(',')}]`);
  const name = (s as Partial<Checkpointable>).stateName;
  if (name !== undefined) parts.push(`name=${JSON.stringify(name)}`);
  return parts.join(' ');
}

export function recordOf(s: CheckpointedStream, graph: DStreamGraph): StreamRecord {
  const input = graph.inputs.includes(s as never);
  const shape = s.stateShape?.() ?? s.kind;
  return s.stateName !== undefined ? { input, name: s.stateName, shape } : { input, shape };
}

interface MetaLike {
  batchDuration: number;
  graph: string[];
  states?: Record<string, StreamRecord>;
}

/** Throws naming the first difference when the graph cannot resume from `meta`; else the plan. */
export function planRestore(dir: string, graph: DStreamGraph, streams: CheckpointedStream[], meta: MetaLike): RestorePlan {
  if (meta.batchDuration !== graph.batchDuration) {
    throw fail(
      'GRAPH_MISMATCH',
      dir,
      `the graph does not match the checkpoint in ${dir}: batchDuration is ${graph.batchDuration} ms, the checkpoint has ${meta.batchDuration} ms`,
    );
  }
  const now = graph.streams.map(describeStream);
  const difference = firstDifference(now, meta.graph);
  const keys = streams.map(streamKey);
  if (difference === undefined) return { from: new Map(keys.map((k) => [k, k])), dropped: [], log: [] };

  const mismatch = (why: string): Error =>
    fail('GRAPH_MISMATCH', dir, `the graph does not match the checkpoint in ${dir}: ${difference}${why ? `; ${why}` : ''}`);
  const stored = meta.states;
  if (stored === undefined) throw mismatch('');
  const unnamedNow = streams.find((s) => s.stateName === undefined && !graph.inputs.includes(s as never));
  if (unnamedNow) {
    throw mismatch(
      `a changed graph resumes only when all its state is named, and ${unnamedNow.kind} #${unnamedNow.id} is not ` +
        `(give it { name } in its options, or StateSpec .name(n))`,
    );
  }
  const unnamedBefore = Object.entries(stored).find(([, r]) => !r.input && r.name === undefined);
  if (unnamedBefore) throw mismatch(`the checkpoint holds unnamed state (${unnamedBefore[1].shape}, stored as ${unnamedBefore[0]})`);

  const from = new Map<string, string | undefined>();
  const log: string[] = [];
  // Inputs with a position, in creation order, must be the same inputs.
  const inputsNow = streams.filter((s) => graph.inputs.includes(s as never));
  const inputsBefore = Object.entries(stored)
    .filter(([, r]) => r.input)
    .sort((a, b) => Number(a[0].slice(1)) - Number(b[0].slice(1)));
  if (inputsNow.length !== inputsBefore.length) {
    throw mismatch(`it has ${inputsBefore.length} input(s) with a position, this graph has ${inputsNow.length}`);
  }
  inputsNow.forEach((s, i) => {
    const [key, r] = inputsBefore[i]!;
    const shape = recordOf(s, graph).shape;
    if (r.shape !== shape) throw mismatch(`input ${i + 1} was ${r.shape}, is now ${shape}`);
    from.set(streamKey(s), key);
  });
  const taken = new Set<string>(from.values() as Iterable<string>);
  for (const s of streams) {
    if (graph.inputs.includes(s as never)) continue;
    const key = streamKey(s);
    const r = stored[key];
    const shape = recordOf(s, graph).shape;
    if (r === undefined) {
      from.set(key, undefined);
      log.push(`named state "${s.stateName}" (${shape}) is new: it starts empty`);
      continue;
    }
    if (r.shape !== shape) {
      throw fail(
        'GRAPH_MISMATCH',
        dir,
        `named state "${s.stateName}" in the checkpoint in ${dir} was ${r.shape}, this graph has ${shape}: ` +
          'give the new operation another name to start it empty, or keep the old operation',
      );
    }
    from.set(key, key);
    taken.add(key);
  }
  const dropped: string[] = [];
  for (const [key, r] of Object.entries(stored)) {
    if (taken.has(key)) continue;
    dropped.push(key);
    if (!r.input) log.push(`named state "${r.name}" (${r.shape}) is no longer in the graph: dropped`);
  }
  return { from, dropped, log };
}

function firstDifference(now: string[], before: string[]): string | undefined {
  const n = Math.max(now.length, before.length);
  for (let i = 0; i < n; i++) {
    if (now[i] !== before[i]) {
      return (
        `stream ${i} is ${now[i] === undefined ? 'missing' : `"${now[i]}"`}, the checkpoint has ` +
        `${before[i] === undefined ? 'no such stream' : `"${before[i]}"`}`
      );
    }
  }
  return undefined;
}
