import { Subject, type Observable } from 'rxjs';
import { GuardedObservable, surfaceRejection } from './GuardedObservable.js';
import type { StreamingEvent, StreamingListener } from './StreamingListener.js';

const methodOf = {
  streamingStarted: 'onStreamingStarted',
  batchSubmitted: 'onBatchSubmitted',
  batchStarted: 'onBatchStarted',
  batchCompleted: 'onBatchCompleted',
  outputOperationStarted: 'onOutputOperationStarted',
  outputOperationCompleted: 'onOutputOperationCompleted',
  receiverStarted: 'onReceiverStarted',
  receiverError: 'onReceiverError',
  receiverStopped: 'onReceiverStopped',
  partitionsAssigned: 'onPartitionsAssigned',
} as const satisfies Record<StreamingEvent['type'], keyof StreamingListener>;

/**
 * Delivers events to listeners and to the `events$` Observable, synchronously and in order.
 * A listener or an `events$` subscriber that throws (or returns a promise that rejects) does not
 * stop delivery to the others; its error goes to `onListenerError` so the context can fail with
 * it rather than lose it.
 */
export class ListenerBus {
  private readonly listeners: StreamingListener[] = [];
  private readonly subject = new Subject<StreamingEvent>();
  readonly events$: Observable<StreamingEvent> = new GuardedObservable<StreamingEvent>(
    (e) => this.onListenerError(e),
    (subscriber) => this.subject.subscribe(subscriber),
  );

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  add(listener: StreamingListener): void {
    if (listener === null || typeof listener !== 'object') throw new TypeError('a StreamingListener must be an object');
    // A callback that is not a function would be skipped at every event, silently.
    for (const method of Object.values(methodOf)) {
      const fn = listener[method];
      if (fn !== undefined && typeof fn !== 'function') throw new TypeError(`a StreamingListener's ${method} must be a function, got ${fn === null ? 'null' : typeof fn}`);
    }
    this.listeners.push(listener);
  }

  post(event: StreamingEvent): void {
    const method = methodOf[event.type];
    for (const l of this.listeners) {
      const fn = l[method] as ((info: unknown) => void) | undefined;
      if (typeof fn !== 'function') continue;
      try {
        surfaceRejection(fn.call(l, event.info), this.onListenerError);
      } catch (e) {
        this.onListenerError(e);
      }
    }
    try {
      this.subject.next(event);
    } catch (e) {
      this.onListenerError(e);
    }
  }

  complete(): void {
    this.subject.complete();
  }
}
