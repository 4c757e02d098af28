/** The sink formats writeStream.format(...) knows, by name. */
import type { SinkArgs, SinkFactory } from '../streaming/session.js';
import type { StructType } from '../types.js';
import { ConsoleSink } from './console.js';
import { MemorySink, type MemoryTable } from './memory.js';

export interface SinkSession {
  memoryTable(name: string, schema: StructType): MemoryTable;
}

/** Later formats (files, kafka, postgres) register here. */
const extra: Record<string, (session: SinkSession) => SinkFactory> = {};

export function registerSinkFormat(name: string, make: (session: SinkSession) => SinkFactory): void {
  extra[name] = make;
}

export function sinkFactories(session: SinkSession): Record<string, SinkFactory> {
  const out: Record<string, SinkFactory> = {
    console: (a: SinkArgs) =>
      new ConsoleSink(Number(a.options.numRows ?? 20), (a.options.truncate ?? 'true').toLowerCase() !== 'false'),
    memory: (a: SinkArgs) => new MemorySink(session.memoryTable(a.queryName!, a.schema), a.queryName!),
  };
  for (const [k, make] of Object.entries(extra)) out[k] = make(session);
  return out;
}
