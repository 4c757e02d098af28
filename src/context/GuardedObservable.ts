/**
 * The Observable behind `ssc.events$`: what a subscriber's own functions throw fails the context,
 * as a listener's error does, instead of going to RxJS's unhandled-error path (a setTimeout that
 * rethrows, out of reach of `awaitTermination`).
 *
 * When things happen: a subscriber's `next`/`complete` runs inside `ListenerBus.post`, wrapped
 * here in a try/catch; an operator in a `pipe` that throws (`events$.pipe(map(f))`) sends an
 * error down the chain, which reaches the subscriber's `error` if it has one (the subscriber
 * handled it) and `onError` otherwise. `lift` keeps this class through `pipe`, so the guard sits
 * on the subscriber the user wrote, at the end of the chain.
 */
import { Observable, Subscriber, type Observer, type Operator, type Subscription, type TeardownLogic } from 'rxjs';
import { isThenable } from '../util/thenable.js';

type Next<T> = ((value: T) => void) | null | undefined;

/**
 * A callback typed to return nothing may be an async function (TypeScript accepts it): its
 * rejection goes to `onError` too, rather than to Node's unhandled-rejection exit.
 */
export function surfaceRejection(result: unknown, onError: (error: unknown) => void): void {
  if (isThenable(result)) result.then(undefined, onError);
}

export class GuardedObservable<T> extends Observable<T> {
  constructor(
    private readonly onError: (error: unknown) => void,
    subscribe?: (this: Observable<T>, subscriber: Subscriber<T>) => TeardownLogic,
  ) {
    super(subscribe);
  }

  override lift<R>(operator?: Operator<T, R>): Observable<R> {
    const lifted = new GuardedObservable<R>(this.onError);
    lifted.source = this;
    lifted.operator = operator;
    return lifted;
  }

  override subscribe(
    observerOrNext?: Partial<Observer<T>> | Next<T>,
    error?: ((error: unknown) => void) | null,
    complete?: (() => void) | null,
  ): Subscription {
    // An operator's own subscriber (inside a pipe chain): the guard is on the chain's last one.
    if (observerOrNext instanceof Subscriber) return super.subscribe(observerOrNext);
    const observer: Partial<Observer<T>> =
      typeof observerOrNext === 'function' || observerOrNext == null
        ? { next: observerOrNext ?? undefined, error: error ?? undefined, complete: complete ?? undefined }
        : observerOrNext;
    const guard =
      <A extends unknown[]>(fn: ((...args: A) => void) | undefined) =>
      (...args: A): void => {
        try {
          surfaceRejection(fn?.apply(observer, args), this.onError);
        } catch (e) {
          this.onError(e);
        }
      };
    return super.subscribe({
      next: guard(observer.next),
      error: observer.error ? guard(observer.error) : (e: unknown) => this.onError(e),
      complete: guard(observer.complete),
    });
  }
}
