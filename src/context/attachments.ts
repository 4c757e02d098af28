/**
 * Edge components a StreamingContext carries without depending on them — the web UI (src/ui),
 * the CLI's per-batch progress lines. Such a module registers a factory once, when imported
 * (`StreamingContext.registerAttachment`; the package entry imports them); every new context
 * asks each factory, with its options, whether it wants to attach. An attachment observes the
 * context only through listeners and read-only getters: the engine calls nothing of it beyond
 * this interface.
 *
 * When things happen:
 *  - the context's constructor calls each factory (listeners added then see every event);
 *  - start(): after the graph is validated, before the inputs start — a throw fails start();
 *  - stop: once the context has stopped (batches, inputs and checkpoint are done).
 */
export interface ContextAttachment {
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
  /** A web page's address, once started (ssc.uiWebUrl). */
  readonly webUrl?: string | undefined;
}
