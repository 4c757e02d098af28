/**
 * The merge thread: merges a stream's stored log into a snapshot (logMerge.ts) off the main
 * thread, which only reads the log's values and writes the chunks back.
 *
 * When things happen: the thread starts at the first merge and stays for the next ones (unref'd
 * while idle: it never keeps the process alive); one merge runs at a time (SnapshotMerges).
 * A thread that dies fails the merge it ran; the next merge starts a new one. `close` stops it.
 */
import { Worker } from 'node:worker_threads';
import { threadSource } from '../util/threadSource.js';
import { fail, type CheckpointErrorCode } from '../util/checkpointErrors.js';
import type { StoredLog } from './stateRead.js';

export interface MergeRequest {
  id: number;
  dir: string;
  log: StoredLog;
  size: number;
}

export type MergeReply = { id: number; chunks: string[] } | { id: number; error: { code: CheckpointErrorCode | undefined; message: string } };

export class LogMerger {
  private worker: Worker | undefined;
  private current: { id: number; resolve: (chunks: string[]) => void; reject: (e: unknown) => void } | undefined;
  private nextId = 0;

  constructor(private readonly dir: string) {}

  /** The encoded chunks of the snapshot merged from `log` (see mergeStoredLog). */
  merge(log: StoredLog, size: number): Promise<string[]> {
    if (this.current !== undefined) return Promise.reject(new Error('LogMerger: one merge at a time'));
    const worker = (this.worker ??= this.start());
    const id = ++this.nextId;
    worker.ref();
    return new Promise<string[]>((resolve, reject) => {
      this.current = { id, resolve, reject };
      worker.postMessage({ id, dir: this.dir, log, size } satisfies MergeRequest);
    });
  }

  private start(): Worker {
    const source = threadSource(import.meta.url, './logMergeThread');
    const worker = new Worker(source.code, { eval: source.eval });
    worker.unref();
    worker.on('message', (m: MergeReply) => {
      const p = this.current;
      if (p === undefined || p.id !== m.id) return;
      this.current = undefined;
      worker.unref();
      if ('chunks' in m) p.resolve(m.chunks);
      else p.reject(fail(m.error.code ?? 'IO_ERROR', this.dir, `checkpoint ${this.dir}: the snapshot merge failed: ${m.error.message}`));
    });
    const died = (err: unknown): void => {
      if (this.worker === worker) this.worker = undefined;
      const p = this.current;
      this.current = undefined;
      p?.reject(err instanceof Error ? err : new Error(`checkpoint ${this.dir}: the merge thread stopped (${String(err)})`));
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(`exit code ${code}`));
    return worker;
  }

  /** Stops the thread; a merge still running fails with CLOSED. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    const p = this.current;
    this.current = undefined;
    p?.reject(fail('CLOSED', this.dir, `checkpoint store ${this.dir} is closed`));
    await worker?.terminate();
  }
}
