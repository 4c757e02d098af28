/**
 * Edge components a StreamingContext carries without depending on them — the web UI
 * (src/ui), the CLI's per-batch progress lines. Such a module registers a factory when it is
 * imported (the package entry imports them); every new context asks each factory, with its
 * options, whether it wants to attach. An attachment observes the context only through
 * listeners and read-only getters: the engine never calls into it beyond this interface.
 *
 * When things happen:
 *  - constructor: each factory is called (listeners added then see every event);
 *  - start(): after the graph is validated, before the inputs start — a throw fails start();
 *  - stop: once the context has stopped (the batches, the inputs and the checkpoint are done).
 */
import type { StreamingContext, StreamingContextOptions } from './StreamingContext.js';

export interface ContextAttachment {
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
  /** A web page's address, once started (ssc.uiWebUrl). */
  readonly webUrl?: string | undefined;
}

export type AttachmentFactory = (ssc: StreamingContext, options: StreamingContextOptions) => ContextAttachment | undefined;

const factories = new Map<string, AttachmentFactory>();

/** Register (or replace) the factory named `name`; a module calls this once, when imported. */
export function registerAttachment(name: string, factory: AttachmentFactory): void {
  factories.set(name, factory);
}

export function hasAttachment(name: string): boolean {
  return factories.has(name);
}

export function createAttachments(ssc: StreamingContext, options: StreamingContextOptions): ContextAttachment[] {
  const out: ContextAttachment[] = [];
  for (const f of factories.values()) {
    const a = f(ssc, options);
    if (a) out.push(a);
  }
  return out;
}
