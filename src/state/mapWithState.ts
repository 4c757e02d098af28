import { DStream } from '../dstream/DStream.js';
import type { KeyOf, ValueOf } from '../dstream/pairTypes.js';
import { MapWithStateDStream } from './MapWithStateDStream.js';
import { StateSpec } from './StateSpec.js';

declare module '../dstream/DStream.js' {
  interface DStream<T> {
    /**
     * Keep a state per key and map each record with it (Spark's mapWithState): the spec's
     * function is called for every record of a batch, and once more for each key timing out.
     * Touches only those keys, whatever the size of the state.
     */
    mapWithState<S, M, K = KeyOf<T>, V = ValueOf<T>>(this: DStream<[K, V]>, spec: StateSpec<K, V, S, M>): MapWithStateDStream<K, V, S, M>;
  }
}

DStream.prototype.mapWithState = function <K, V, S, M>(
  this: DStream<[K, V]>,
  spec: StateSpec<K, V, S, M>,
): MapWithStateDStream<K, V, S, M> {
  if (!(spec instanceof StateSpec)) throw new TypeError('mapWithState needs a StateSpec: StateSpec.function(f)');
  return new MapWithStateDStream(this, spec);
};
