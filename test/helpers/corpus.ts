// The book's corpus and its independent wordcount, shared by the Kafka and Kinesis tests.
import { existsSync, readFileSync } from 'node:fs';

export const SHAKESPEARE = '/work/shared/data/shakespeare.txt';

/** The lines of the book's shakespeare.txt, or generated text when the file is not there. */
export function shakespeareLines(): string[] {
  if (existsSync(SHAKESPEARE)) {
    const lines = readFileSync(SHAKESPEARE, 'utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }
  const words = ['to', 'be', 'or', 'not', 'that', 'is', 'the', 'question', 'whether', 'tis', 'nobler', 'in', 'mind'];
  return Array.from({ length: 20_000 }, (_, i) =>
    Array.from({ length: 1 + (i % 9) }, (_x, j) => words[(i * 7 + j * 3) % words.length]).join(' '),
  );
}

/** The book's tokenizer: lower case, split on non-word characters, empty strings dropped. */
export function words(line: string): string[] {
  return line
    .toLowerCase()
    .split(/\W+/)
    .filter((w) => w.length > 0);
}

/** Word counts computed directly from the lines (the independent count). */
export function countWords(lines: Iterable<string>): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) for (const w of words(l)) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}
