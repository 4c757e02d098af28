/**
 * Partition discovery, as Spark's PartitioningUtils (spark.sql.sources.partitionColumnTypeInference
 * .enabled and validatePartitionColumns at their defaults, true; case-insensitive names): the
 * folders `key=value` between a file source's directory and its files give columns. Directories are
 * relative to the source's directory, `/`-separated, `''` for the directory itself.
 *
 * - A column in the user's schema takes its name and type there (SPARK-26188, SPARK-26990); another
 *   gets a type inferred from all its values (int, bigint, "decimal", double, timestamp, date,
 *   string), widened across folders without losing precision (findWiderTypeForPartitionColumn).
 *   dstreams' DECIMAL is a DOUBLE (types.ts), so an inferred decimal column is a DOUBLE.
 * - Values are unescaped as Spark's unescapePathName (`%3A` is `:`); `__HIVE_DEFAULT_PARTITION__` is null.
 * - A value that does not parse as its column's type fails ("Failed to cast value ..."), except
 *   DATE and TIMESTAMP, which Spark casts (non-ANSI): such a value is null.
 * - Partition columns come after the data columns, a user's column too (Spark's source schema is
 *   dataSchema ++ partitionSchema), and a partition value wins over a field of the same name in the data.
 */
import { AnalysisException } from './errors.js';
import { stringToDate, stringToTimestamp } from './datetime.js';
import { StructField, StructType, Types, type DataType } from './types.js';
import { castValue, longValue, type Row } from './values.js';

export const DEFAULT_PARTITION_NAME = '__HIVE_DEFAULT_PARTITION__';

/** Spark's ExternalCatalogUtils.unescapePathName: `%XX` (two hex digits) is that character. */
export function unescapePathName(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** A leaf directory's columns (names unescaped, raw values) and where its discovery stopped (Spark's parsePartition). */
export interface ParsedDir {
  columns: [name: string, raw: string][];
  base: string;
}

/**
 * Walks up from `dir` to the source's directory, collecting `key=value` names; it stops at the
 * first other name above a column (`x/a=1` stops at `x`), which is then the base. A directory
 * without columns is its own base.
 */
export function parsePartitionDir(dir: string): ParsedDir {
  const segs = dir === '' ? [] : dir.split('/');
  const columns: [string, string][] = [];
  for (let i = segs.length - 1; i >= 0; i--) {
    const column = parseColumn(segs[i]!);
    if (column) columns.push(column);
    else if (columns.length > 0) return { columns: columns.reverse(), base: segs.slice(0, i + 1).join('/') };
  }
  return columns.length > 0 ? { columns: columns.reverse(), base: '' } : { columns, base: dir };
}

function parseColumn(name: string): [string, string] | undefined {
  const eq = name.indexOf('=');
  if (eq < 0) return undefined;
  const column = unescapePathName(name.slice(0, eq));
  if (column === '') throw new AnalysisException(`Empty partition column name in '${name}'`);
  const raw = name.slice(eq + 1);
  if (raw === '') throw new AnalysisException(`Empty partition column value in '${name}'`);
  return [column, raw];
}

/** Java's Double.parseDouble (no hex floats): undefined when it would throw. */
function javaDouble(raw: string): number | undefined {
  const s = raw.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '');
  const m = /^([+-]?)(NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[fFdD]?$/.exec(s);
  if (!m) return undefined;
  return m[2] === 'NaN' ? NaN : Number(`${m[1]}${m[2]}`);
}

const INT_MIN = -(2n ** 31n);
const INT_MAX = 2n ** 31n - 1n;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** Java's Integer.parseInt / Long.parseLong: undefined when it would throw. */
function javaInteger(raw: string, min: bigint, max: bigint): number | bigint | undefined {
  if (!/^[+-]?\d+$/.test(raw)) return undefined;
  const n = BigInt(raw);
  return n < min || n > max ? undefined : longValue(n);
}

/** Java's BigDecimal with scale 0 and at most 38 digits (Spark's decimalTry: no fraction, no negative scale). */
function isWholeDecimal(raw: string): boolean {
  const m = /^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(raw);
  if (!m || (m[1] === '' && !m[2])) return false;
  const frac = m[2] ?? '';
  if (frac.length - Number(m[3] ?? 0) !== 0) return false;
  return `${m[1]}${frac}`.replace(/^0+(?=\d)/, '').length <= 38;
}

type Kind = 'null' | 'int' | 'long' | 'decimal' | 'double' | 'timestamp' | 'date' | 'string';

/** Spark's inferPartitionColumnValue: the first of int, long, decimal, double, timestamp, date that parses; else string. */
function inferKind(raw: string): Kind {
  if (javaInteger(raw, INT_MIN, INT_MAX) !== undefined) return 'int';
  if (javaInteger(raw, LONG_MIN, LONG_MAX) !== undefined) return 'long';
  if (isWholeDecimal(raw)) return 'decimal';
  if (javaDouble(raw) !== undefined) return 'double';
  // Pattern `yyyy-MM-dd HH:mm:ss[.S]` then a cast that is not null; for a date, `yyyy-MM-dd`.
  const text = unescapePathName(raw);
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,9})?$/.test(text) && stringToTimestamp(text) !== null) return 'timestamp';
  if (/^\d{4}-\d{2}-\d{2}$/.test(raw) && stringToDate(raw) !== null) return 'date';
  return raw === DEFAULT_PARTITION_NAME ? 'null' : 'string';
}

/** Spark's findWiderTypeForPartitionColumn: numbers widen unless precision would be lost; else string. */
function widen(a: Kind, b: Kind): Kind {
  if (a === b || b === 'null') return a;
  if (a === 'null') return b;
  const pair = [a, b].sort().join('+');
  const wider: Record<string, Kind> = {
    'int+long': 'long',
    'decimal+int': 'decimal',
    'decimal+long': 'decimal',
    'double+int': 'double',
    'date+timestamp': 'timestamp',
  };
  return wider[pair] ?? 'string';
}

const KIND_TYPE: Record<Kind, DataType> = {
  null: Types.NULL,
  int: Types.INTEGER,
  long: Types.LONG,
  decimal: Types.DOUBLE,
  double: Types.DOUBLE,
  timestamp: Types.TIMESTAMP,
  date: Types.DATE,
  string: Types.STRING,
};

/** Spark's DataType.toString, as its cast error names the type (`IntegerType`). */
const sparkTypeName = (t: DataType): string => `${t.typeName()[0]!.toUpperCase()}${t.typeName().slice(1)}Type`;

/** Spark's castPartValueToDesiredType; a value that does not convert fails as Spark's validatePartitionColumns. */
export function castPartitionValue(raw: string, type: DataType, column: string): unknown {
  if (raw === DEFAULT_PARTITION_NAME) return null;
  let v: unknown;
  switch (type) {
    case Types.NULL:
      return null;
    case Types.STRING:
      return unescapePathName(raw);
    case Types.INTEGER:
      v = javaInteger(raw, INT_MIN, INT_MAX);
      break;
    case Types.LONG:
      v = javaInteger(raw, LONG_MIN, LONG_MAX);
      break;
    case Types.DOUBLE:
      v = javaDouble(raw);
      break;
    case Types.FLOAT: {
      const d = javaDouble(raw);
      v = d === undefined ? undefined : Math.fround(d);
      break;
    }
    case Types.BOOLEAN:
      v = /^true$/i.test(raw) ? true : /^false$/i.test(raw) ? false : undefined;
      break;
    case Types.DATE:
      return castValue(raw, Types.DATE);
    case Types.TIMESTAMP:
      return castValue(unescapePathName(raw), Types.TIMESTAMP);
    case Types.BINARY:
      return Buffer.from(raw, 'utf8');
  }
  if (v === undefined) throw new Error(`Failed to cast value \`${raw}\` to \`${sparkTypeName(type)}\` for partition column \`${column}\``);
  return v;
}

const key = (name: string): string => name.toLowerCase();

/**
 * The partition columns of the directories that hold files (`leafDirs`), or none when no folder is
 * `key=value`. Fails, as Spark, when the leaf directories do not share one base (a plain folder
 * beside `key=value` ones), when they do not have the same columns, or when a value does not cast.
 * `root` is the source's directory, for the messages.
 */
export function discoverPartitions(root: string, leafDirs: readonly string[], schema: StructType | undefined): StructField[] {
  const parsed = leafDirs.map((dir) => ({ dir, ...parsePartitionDir(dir) }));
  const partitioned = parsed.filter((p) => p.columns.length > 0);
  if (partitioned.length === 0) return [];
  const full = (rel: string): string => (rel === '' ? root : `${root.replace(/\/$/, '')}/${rel}`);
  const bases = [...new Map(parsed.map((p) => [key(p.base), p.base])).values()];
  if (bases.length > 1) {
    throw new AnalysisException(
      `Conflicting directory structures detected. Suspicious paths:\n\t${bases.map(full).join('\n\t')}\n\n` +
        'Files are read from the folders key=value below the directory read (partition discovery), and a folder ' +
        'holding files must not sit beside or above them. If there are multiple root directories, please load them separately and then union them.',
    );
  }
  const names = (p: ParsedDir): string => p.columns.map(([n]) => n).join(', ');
  const lists = [...new Set(partitioned.map((p) => key(names(p))))];
  if (lists.length > 1) {
    const distinct = [...new Map(partitioned.map((p) => [key(names(p)), names(p)])).values()];
    const suspicious = [...partitioned].sort((a, b) => a.columns.length - b.columns.length).map((p) => `\t${full(p.dir)}`);
    throw new AnalysisException(
      `Conflicting partition column names detected:\n${distinct.map((n, i) => `\tPartition column name list #${i}: ${n}`).join('\n')}\n\n` +
        'For partitioned table directories, data files should only live in leaf directories.\n' +
        'And directories at the same level should have the same partition column name.\n' +
        `Please check the following directories for unexpected files or inconsistent partition column names:\n${suspicious.join('\n')}`,
    );
  }
  const fields = partitioned[0]!.columns.map(([name], i) => {
    const given = schema?.fields.find((f) => key(f.name) === key(name));
    if (given) return new StructField(given.name, given.dataType, true);
    const kind = partitioned.map((p) => inferKind(p.columns[i]![1])).reduce(widen);
    return new StructField(name, KIND_TYPE[kind], true);
  });
  // Spark casts every value when it builds the partition spec, so a bad one fails the listing.
  for (const p of partitioned) p.columns.forEach(([, raw], i) => castPartitionValue(raw, fields[i]!.dataType, fields[i]!.name));
  return fields;
}

/** The schema a reader gives: the data columns, then the partition columns. */
export function withPartitionColumns(schema: StructType, partitions: readonly StructField[]): StructType {
  if (partitions.length === 0) return schema;
  return new StructType([...dataSchema(schema, partitions).fields, ...partitions]);
}

/** The columns read from the files: the schema without the partition columns. */
export function dataSchema(schema: StructType, partitions: readonly { name: string }[]): StructType {
  const names = new Set(partitions.map((p) => key(p.name)));
  return names.size === 0 ? schema : new StructType(schema.fields.filter((f) => !names.has(key(f.name))));
}

/** The directory of a path relative to the source's directory (`''` for a file directly in it). */
export function dirOf(relPath: string): string {
  const i = relPath.lastIndexOf('/');
  return i < 0 ? '' : relPath.slice(0, i);
}

/**
 * The partition values of a file's directory, by the column's name in `schema`, cast to its type;
 * `missing` names a column of the directory that `schema` does not have (a streaming source's
 * schema is fixed before later folders appear).
 */
export function partitionValues(dir: string, schema: StructType): { values: Row; missing?: string } {
  const values: Row = {};
  for (const [name, raw] of parsePartitionDir(dir).columns) {
    const field = schema.fields.find((f) => key(f.name) === key(name));
    if (!field) return { values, missing: name };
    values[field.name] = castPartitionValue(raw, field.dataType, field.name);
  }
  return { values };
}

/** Rows in `schema`'s column order: a partition value where there is one, else the parsed field (null when absent). */
export function assembleRows(parsed: readonly Row[], schema: StructType, values: Row): Row[] {
  const names = schema.fieldNames;
  return parsed.map((r) => {
    const out: Row = {};
    for (const n of names) out[n] = n in values ? values[n] : (r[n] ?? null);
    return out;
  });
}
