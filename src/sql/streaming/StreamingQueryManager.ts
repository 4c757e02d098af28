/**
 * `spark.streams`: the active queries, awaitAnyTermination, and progress listeners.
 *
 * A listener that throws (or returns a promise that rejects) is logged — Spark's ListenerBus:
 * "Listener … threw an exception", with the error's stack — and the query, and the other
 * listeners, go on: onQueryStarted does not fail start(), onQueryProgress does not end the query,
 * onQueryTerminated does not fail stop().
 */
import { isThenable } from '../../util/thenable.js';
import { AnalysisException } from '../errors.js';
import type { StreamingQueryProgress } from './progress.js';
import type { QueryListener, StreamingQuery } from './StreamingQuery.js';

/** Spark's StreamingQueryListener (onQueryStarted, onQueryProgress, onQueryTerminated). */
export interface StreamingQueryListener {
  onQueryStarted?(event: { id: string; runId: string; name: string | null }): void;
  onQueryProgress?(event: { progress: StreamingQueryProgress }): void;
  onQueryTerminated?(event: { id: string; runId: string; exception: string | null }): void;
}

export class StreamingQueryManager implements QueryListener {
  private readonly queries = new Set<StreamingQuery>();
  private readonly listeners: StreamingQueryListener[] = [];
  private terminatedQuery: StreamingQuery | undefined;
  private waiters: (() => void)[] = [];
  /** Per query id (a checkpointLocation): its latest run, until everything that run opened is released. */
  private readonly runs = new Map<string, StreamingQuery>();

  get active(): StreamingQuery[] {
    return [...this.queries];
  }

  get(id: string): StreamingQuery | undefined {
    return this.active.find((q) => q.id === id);
  }

  addListener(l: StreamingQueryListener): void {
    this.listeners.push(l);
  }
  removeListener(l: StreamingQueryListener): void {
    const i = this.listeners.indexOf(l);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  /** Resolves when any query terminates (since the last resetTerminated); rejects with its exception. */
  async awaitAnyTermination(timeoutMs?: number): Promise<boolean | undefined> {
    if (!this.terminatedQuery) {
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        new Promise<boolean>((resolve) => this.waiters.push(() => resolve(true))),
        ...(timeoutMs === undefined ? [] : [new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]),
      ]);
      clearTimeout(timer);
      if (!ended) return false;
    }
    const ex = this.terminatedQuery?.exception();
    if (ex) throw ex;
    return timeoutMs === undefined ? undefined : true;
  }

  resetTerminated(): void {
    this.terminatedQuery = undefined;
  }

  /** @internal The run of query `id` started and not terminated yet (active, or stopping). */
  registeredRun(id: string): StreamingQuery | undefined {
    for (const q of this.queries) if (q.id === id) return q;
    return undefined;
  }

  /**
   * @internal `q` is now its query's latest run; resolves once the run before it (same id) has
   * released what it opened — its checkpoint among them.
   */
  takeOver(q: StreamingQuery): Promise<void> {
    const previous = this.runs.get(q.id);
    this.runs.set(q.id, q);
    void q.released.then(() => {
      if (this.runs.get(q.id) === q) this.runs.delete(q.id);
    });
    return previous ? previous.released : Promise.resolve();
  }

  /** Calls each listener's `method`; one that throws or rejects is logged, and the others still hear the event. */
  private post<M extends keyof StreamingQueryListener>(method: M, event: Parameters<NonNullable<StreamingQueryListener[M]>>[0]): void {
    for (const l of [...this.listeners]) {
      const fn = l[method] as ((e: typeof event) => unknown) | undefined;
      if (typeof fn !== 'function') continue;
      try {
        const result = fn.call(l, event);
        if (isThenable(result)) result.then(undefined, (e: unknown) => listenerFailed(l, e));
      } catch (e) {
        listenerFailed(l, e);
      }
    }
  }

  /** @internal */
  started(q: StreamingQuery): void {
    // Active when its listeners hear of it (as in Spark).
    this.queries.add(q);
    this.post('onQueryStarted', { id: q.id, runId: q.runId, name: q.name });
  }
  /** @internal */
  progressed(_q: StreamingQuery, progress: StreamingQueryProgress): void {
    this.post('onQueryProgress', { progress });
  }
  /** @internal */
  onQueryTerminated(q: StreamingQuery): void {
    if (!this.queries.delete(q)) return;
    this.terminatedQuery ??= q;
    const w = this.waiters;
    this.waiters = [];
    this.post('onQueryTerminated', { id: q.id, runId: q.runId, exception: q.exception()?.message ?? null });
    for (const resolve of w) resolve();
  }

  /** @internal Stop every active query (session stop). */
  async stopAll(): Promise<void> {
    for (const q of this.active) await q.stop();
  }

  assertNameFree(name: string | null): void {
    if (name && this.active.some((q) => q.name === name)) throw new AnalysisException(`a query named ${name} is already active`);
  }
}

/** Spark's ListenerBus.postToAll: `Listener <class name> threw an exception`, with the error. */
function listenerFailed(listener: StreamingQueryListener, error: unknown): void {
  const cls = (Object.getPrototypeOf(listener) as { constructor?: { name?: string } } | null)?.constructor?.name;
  const name = cls && cls !== 'Object' ? cls : 'StreamingQueryListener';
  console.error(`dstreams: Listener ${name} threw an exception`, error);
}
