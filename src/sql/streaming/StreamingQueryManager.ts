/** `spark.streams`: the active queries, awaitAnyTermination, and progress listeners. */
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

  /** @internal */
  started(q: StreamingQuery): void {
    // Active when its listeners hear of it (as in Spark); one that throws fails start(), which stops the query.
    this.queries.add(q);
    try {
      for (const l of this.listeners) l.onQueryStarted?.({ id: q.id, runId: q.runId, name: q.name });
    } catch (e) {
      this.queries.delete(q);
      throw e;
    }
  }
  /** @internal */
  progressed(_q: StreamingQuery, progress: StreamingQueryProgress): void {
    for (const l of this.listeners) l.onQueryProgress?.({ progress });
  }
  /** @internal */
  onQueryTerminated(q: StreamingQuery): void {
    if (!this.queries.delete(q)) return;
    this.terminatedQuery ??= q;
    const w = this.waiters;
    this.waiters = [];
    // A listener that throws fails the caller (stop()); awaitAnyTermination still hears of the query.
    try {
      for (const l of this.listeners) l.onQueryTerminated?.({ id: q.id, runId: q.runId, exception: q.exception()?.message ?? null });
    } finally {
      for (const resolve of w) resolve();
    }
  }

  /** @internal Stop every active query (session stop). */
  async stopAll(): Promise<void> {
    for (const q of this.active) await q.stop();
  }

  assertNameFree(name: string | null): void {
    if (name && this.active.some((q) => q.name === name)) throw new AnalysisException(`a query named ${name} is already active`);
  }
}
