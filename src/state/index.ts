/** The state operations (updateStateByKey, mapWithState), attached to DStream on import. */
import './updateStateByKey.js';
import './mapWithState.js';

export { State } from './State.js';
export { StateSpec, type MappingFunction, type TimedMappingFunction } from './StateSpec.js';
export { MapWithStateDStream, StateSnapshotDStream } from './MapWithStateDStream.js';
export { InternalMapWithStateDStream, type MapWithStateRecord } from './InternalMapWithStateDStream.js';
export { StateDStream, type UpdateFunction, type UpdateStateByKeyOptions } from './updateStateByKey.js';
export { StatefulDStream, type StateChangeListener } from './StatefulDStream.js';
export { DiskMapWithStateDStream } from './DiskMapWithStateDStream.js';
export { DiskStateDStream } from './DiskStateDStream.js';
export type { StateStoreOption } from '../dstream/stateStore.js';
