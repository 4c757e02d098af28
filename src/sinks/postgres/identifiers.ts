/**
 * SQL identifier quoting. Every table, schema and column name the sink puts into SQL goes
 * through {@link quoteIdent}: the name is wrapped in double quotes and any double quote in
 * it is doubled, so names containing quotes, spaces, semicolons or keywords are safe.
 */

/** A table, optionally schema-qualified. A plain string is an unqualified table name (never parsed). */
export type TableRef = string | { schema?: string; name: string };

export function quoteIdent(name: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`PostgresSink: an identifier must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  if (name.includes('\0')) {
    throw new TypeError(`PostgresSink: an identifier cannot contain a NUL character: ${JSON.stringify(name)}`);
  }
  return '"' + name.replace(/"/g, '""') + '"';
}

export function normalizeTable(table: TableRef): { schema: string | undefined; name: string } {
  if (typeof table === 'string') return { schema: undefined, name: table };
  if (table === null || typeof table !== 'object' || typeof table.name !== 'string') {
    throw new TypeError('PostgresSink: `table` must be a string or { schema?, name }');
  }
  return { schema: table.schema, name: table.name };
}

/** `"schema"."name"` or `"name"`. */
export function qualifiedName(schema: string | undefined, name: string): string {
  return schema === undefined ? quoteIdent(name) : `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

export function quoteList(names: readonly string[]): string {
  return names.map(quoteIdent).join(', ');
}
