/**
 * The argument checks of the stream operations, made when the operation is defined: a function
 * that is none (map(undefined)) or a stream that is none (join(undefined)) fails there, naming the
 * operation, not the first batch with an error from deep inside a stage.
 */
import { checkPartitions, described } from '../../rdd/checks.js';
import { DStream } from '../DStream.js';

/** `f`, when it is a function (`argument`: which of the operation's, when it takes several). */
export function fn<F>(operation: string, f: F, argument?: string): F {
  if (typeof f !== 'function') {
    throw new TypeError(`${operation} needs a function${argument ? ` as ${argument}` : ''}, got ${described(f)}`);
  }
  return f;
}

/** `other`, when it is a DStream: the second stream of a two-stream operation (union, join, transformWith). */
export function stream<S>(operation: string, other: S): S {
  if (!(other instanceof DStream)) throw new TypeError(`${operation} needs a DStream, got ${described(other)}`);
  return other;
}

/**
 * A shuffle's partition count, when given (not null or undefined); else the context's parallelism,
 * as Spark's `defaultPartitioner` for streams.
 */
export function partitionsOf(operation: string, stream: DStream<unknown>, numPartitions: unknown): number {
  return numPartitions == null ? stream.graph.defaultParallelism : checkPartitions(numPartitions, operation);
}
