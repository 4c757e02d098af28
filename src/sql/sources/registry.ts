/** The source formats readStream.format(...) knows, by name; each module registers itself. */
import type { Clock } from '../../context/Clock.js';
import type { StructType } from '../types.js';
import type { SourceProvider } from './Source.js';

export interface SourceArgs {
  format: string;
  options: Record<string, string>;
  schema: StructType | undefined;
  clock: Clock;
}

export type SourceFormat = (args: SourceArgs) => SourceProvider & { readonly schema: StructType };

const formats = new Map<string, SourceFormat>();

export function registerSourceFormat(name: string, make: SourceFormat): void {
  formats.set(name, make);
}

export function sourceFormat(name: string): SourceFormat | undefined {
  return formats.get(name);
}
