/**
 * Expressions only the SQL parser makes — `+x`, extract(field FROM x), typed literals' values —
 * and a decimal literal's name: Spark's forms that have no function of their own here.
 */
import { resolveFunction } from './builtins.js';
import { AnalysisException } from './errors.js';
import { Expr, sqlTypeName, type BindContext, type Bound } from './expressions.js';
import { isNumeric, Types, type DataType } from './types.js';
import { castValue } from './values.js';

export type TypedLiteralKind = 'DATE' | 'TIMESTAMP' | 'X';
export const TYPED_LITERAL_TYPES: Record<TypedLiteralKind, DataType> = { DATE: Types.DATE, TIMESTAMP: Types.TIMESTAMP, X: Types.BINARY };

/** A typed literal's value (DATE and TIMESTAMP read as a cast reads them; X'…' hex, an odd count with a 0 in front), or null when it does not read. */
export function typedLiteralValue(type: TypedLiteralKind, text: string): unknown {
  if (type !== 'X') return castValue(text, TYPED_LITERAL_TYPES[type], Types.STRING);
  const hex = text.length % 2 === 0 ? text : `0${text}`;
  return /^[0-9A-Fa-f]*$/.test(hex) ? Buffer.from(hex, 'hex') : null;
}

/** `+x`: Spark's UnaryPositive, the value itself (a string read as a double), named `(+ x)`. */
export class UnaryPositive extends Expr {
  constructor(readonly child: Expr) {
    super();
  }
  get name(): string {
    return `(+ ${this.child.sql})`;
  }
  bind(ctx: BindContext): Bound {
    const c = this.child.bind(ctx);
    if (c.type === Types.STRING) {
      const ce = c.eval;
      return { type: Types.DOUBLE, eval: (r) => castValue(ce(r), Types.DOUBLE, Types.STRING) };
    }
    if (!isNumeric(c.type) && c.type !== Types.NULL) {
      throw new AnalysisException(`[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] Cannot resolve "${this.sql}" due to data type mismatch: the operand of + must be a number, got "${sqlTypeName(c.type)}".`);
    }
    return c;
  }
  override children(): Expr[] {
    return [this.child];
  }
  override withChildren(c: Expr[]): Expr {
    return new UnaryPositive(c[0]!);
  }
}

/** extract(field FROM source)'s fields (Spark's names for them) and the functions that give them. */
const EXTRACT_FIELDS: Record<string, string> = {
  YEAR: 'year', Y: 'year', YEARS: 'year', YR: 'year', YRS: 'year',
  QUARTER: 'quarter', QTR: 'quarter',
  MONTH: 'month', MON: 'month', MONS: 'month', MONTHS: 'month',
  WEEK: 'weekofyear', W: 'weekofyear', WEEKS: 'weekofyear',
  DAY: 'dayofmonth', D: 'dayofmonth', DAYS: 'dayofmonth',
  DAYOFWEEK: 'dayofweek', DOW: 'dayofweek',
  DOY: 'dayofyear',
  HOUR: 'hour', H: 'hour', HOURS: 'hour', HR: 'hour', HRS: 'hour',
  MINUTE: 'minute', M: 'minute', MIN: 'minute', MINS: 'minute', MINUTES: 'minute',
};
/** Fields Spark extracts that dstreams has no function for (SECOND is a DECIMAL(8,6) with the fraction there). */
const EXTRACT_MISSING = new Set(['SECOND', 'S', 'SEC', 'SECONDS', 'SECS', 'DAYOFWEEK_ISO', 'DOW_ISO', 'YEAROFWEEK']);

/** `extract(YEAR FROM d)`: the field's function of the source, under Spark's name for the extract. */
export class Extract extends Expr {
  private readonly call: Expr;
  constructor(readonly field: string, readonly source: Expr) {
    super();
    const key = field.toUpperCase();
    const fn = EXTRACT_FIELDS[key];
    if (fn === undefined && EXTRACT_MISSING.has(key)) throw new AnalysisException(`extract(${field} FROM ${source.sql}) is not supported (fields: YEAR, QUARTER, MONTH, WEEK, DAY, DAYOFWEEK, DOY, HOUR, MINUTE and Spark's other names for them)`);
    if (fn === undefined) throw new AnalysisException(`[INVALID_EXTRACT_FIELD] Cannot extract \`${field}\` from "${source.sql}".`);
    this.call = resolveFunction(fn, [source]);
  }
  get name(): string {
    return `extract(${this.field} FROM ${this.source.sql})`;
  }
  bind(ctx: BindContext): Bound {
    return this.call.bind(ctx);
  }
  override children(): Expr[] {
    return [this.source];
  }
  override withChildren(c: Expr[]): Expr {
    return new Extract(this.field, c[0]!);
  }
}

/**
 * A decimal literal's name, Java's BigDecimal.toString of its digits as Spark prints it: the
 * scale kept (`100.00`, `.5` is `0.5`, `5.` is `5`, `-0.0` is `0.0`), and in E notation when its
 * exponent is below -6 (`0.0000001` is `1E-7`).
 */
export function decimalText(digits: string, negative: boolean): string {
  const [whole = '', fraction = ''] = digits.split('.');
  const scale = fraction.length;
  const unscaled = (whole + fraction).replace(/^0+/, '') || '0';
  const sign = negative && unscaled !== '0' ? '-' : '';
  const adjusted = unscaled.length - 1 - scale;
  if (adjusted < -6) return `${sign}${unscaled[0]}${unscaled.length > 1 ? `.${unscaled.slice(1)}` : ''}E${adjusted}`;
  if (scale === 0) return sign + unscaled;
  const padded = unscaled.padStart(scale + 1, '0');
  return `${sign}${padded.slice(0, padded.length - scale)}.${padded.slice(padded.length - scale)}`;
}
