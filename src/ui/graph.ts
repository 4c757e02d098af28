/**
 * The DStream graph as the UI shows it: every stream with its operation, its dependencies, its
 * slide (and window), and for stateful streams the number of keys they hold now. Read-only: it
 * looks at the graph's streams and their public getters, and computes nothing.
 */
import { isCheckpointable } from '../dstream/Checkpointable.js';
import type { DStreamGraph } from '../dstream/DStreamGraph.js';

export interface GraphNode {
  id: number;
  kind: string;
  /** Extra words for the label: an input's name or topics, an output's operation. */
  detail?: string;
  dependencies: number[];
  slideDuration: number;
  windowDuration?: number;
  role: 'input' | 'output' | 'transformation';
  /** Holds state or window contents that are checkpointed. */
  stateful: boolean;
  /** Keys in the latest state, for streams that can say. */
  stateKeys?: number;
}

export function describeGraph(graph: DStreamGraph): GraphNode[] {
  const inputs = new Set<unknown>(graph.inputs);
  const outputs = new Set<unknown>(graph.outputs);
  return graph.streams.map((s) => {
    const anyS = s as unknown as { name?: unknown; topics?: unknown; operationName?: unknown; windowDuration?: unknown; size?: unknown };
    const node: GraphNode = {
      id: s.id,
      kind: s.kind,
      dependencies: s.dependencies.map((d) => d.id),
      slideDuration: s.slideDuration,
      role: inputs.has(s) ? 'input' : outputs.has(s) ? 'output' : 'transformation',
      stateful: isCheckpointable(s) && !inputs.has(s),
    };
    if (typeof anyS.operationName === 'string') node.detail = anyS.operationName;
    else if (typeof anyS.name === 'string') node.detail = anyS.name;
    else if (Array.isArray(anyS.topics)) node.detail = `topics ${anyS.topics.join(', ')}`;
    if (typeof anyS.windowDuration === 'number') node.windowDuration = anyS.windowDuration;
    if (typeof anyS.size === 'number') node.stateKeys = anyS.size;
    return node;
  });
}

/** Total keys of every stateful stream that can say, by stream id (for /metrics). */
export function stateKeys(graph: DStreamGraph): Array<{ id: number; kind: string; keys: number }> {
  return describeGraph(graph)
    .filter((n) => n.stateKeys !== undefined)
    .map((n) => ({ id: n.id, kind: n.kind, keys: n.stateKeys! }));
}
