import { batchOf, numberAt, numberOfNullable, perCode, type ColumnBatch } from '../lake/parquet.js';
import type { CellValue, LimsTableName, Row } from '../sources/schema.js';
import { canonicalUnitOf } from '../standards/ucum.js';
import { DEFAULT_DQ_RULES } from './default-rules.js';
import type { DqContext, DqRule, Limits, RuleGuard } from './rules.js';

export interface QuarantinedRow {
  readonly row: Row;
  /** Every rule the row broke, warnings included. */
  readonly rules: string[];
}

export interface Evaluation {
  readonly passed: Row[];
  readonly quarantined: QuarantinedRow[];
  /** Failures per rule name; every rule of the table is present, zero when nothing failed. */
  readonly counts: Record<string, number>;
}

/** An evaluation by row position: for columns, where only the quarantined rows become objects. */
export interface PositionEvaluation {
  /** Positions of the rows that passed (or broke warnings only), ascending. */
  readonly passed: Int32Array;
  readonly quarantined: readonly { readonly position: number; readonly rules: string[] }[];
  readonly counts: Record<string, number>;
}

export interface PositionEvaluator {
  /** The columns the rules read: a batch needs no others. */
  readonly columns: readonly string[];
  evaluate(batch: ColumnBatch): PositionEvaluation;
}

/** Whether the row at a position passes. */
type Check = (position: number) => boolean;

/** A rule made for one batch's columns, and the columns it reads. */
interface RuleOfTable {
  readonly name: string;
  readonly quarantines: boolean;
  readonly columns: readonly string[];
  readonly checkOf: (batch: ColumnBatch) => Check;
}

const isNull = (value: CellValue | undefined): value is null | undefined => value === null || value === undefined;

/**
 * `f` of a column's value at each row: for text kept as codes, computed once per distinct value
 * (a batch of 50,000 results has a few dozen units, statuses and LOINC codes).
 */
function valueAt<T>(batch: ColumnBatch, column: string, f: (value: CellValue) => T): (position: number) => T {
  const text = batch.codes?.[column];
  if (text) {
    const byCode = perCode(text, f);
    const codes = text.codes;
    return (position) => byCode[codes[position]! + 1]!;
  }
  const nullable = batch.numbers?.[column];
  if (nullable) return (position) => f(numberOfNullable(nullable, position));
  const values = batch.columns[column]!;
  return (position) => f(values[position] ?? null);
}

/** The column when it is a typed array; coded text is not asked for (`columns` would spell out its values). */
function typedColumn(batch: ColumnBatch, column: string): ArrayLike<CellValue> | undefined {
  if (batch.codes?.[column] || batch.bytes?.[column] || batch.numbers?.[column]) return undefined;
  const values = batch.columns[column];
  return values && ArrayBuffer.isView(values) ? values : undefined;
}

/** Whether each row of a column held with a mask (text bytes, nullable numbers) is present, read from the mask. */
function presentAt(batch: ColumnBatch, column: string): Check | undefined {
  const held = batch.bytes?.[column] ?? batch.numbers?.[column];
  if (!held) return undefined;
  const present = held.present;
  return present ? (position) => present[position] === 1 : () => true;
}

/** Inclusive bounds and an exclusive lower one, every one of them present (infinite when open). */
interface Bounds {
  readonly min: number;
  readonly max: number;
  readonly above: number;
}

function boundsOf(limits: Limits | undefined): Bounds {
  return { min: limits?.min ?? -Infinity, max: limits?.max ?? Infinity, above: limits?.exclusiveMin ?? -Infinity };
}

/** Null, or a number within the bounds (a string in a numeric column is out of range). */
function inBounds(bounds: Bounds, value: CellValue): boolean {
  return isNull(value) || (typeof value === 'number' && value >= bounds.min && value <= bounds.max && value > bounds.above);
}

/**
 * Whether each row's number is within the bounds (null passes). A column without nulls comes as a
 * typed array, compared where it is read: passing its numbers to a check function boxed each one.
 */
function boundsAt(batch: ColumnBatch, column: string, bounds: Bounds): Check {
  const values = typedColumn(batch, column);
  const { min, max, above } = bounds;
  if (values instanceof Float64Array) {
    return (position) => {
      const value = values[position]!;
      return value >= min && value <= max && value > above;
    };
  }
  const nullable = batch.numbers?.[column];
  if (nullable) {
    const { values: numbers, present } = nullable;
    return (position) => {
      const value = numbers[position]!;
      return present[position] === 0 || (value >= min && value <= max && value > above);
    };
  }
  return valueAt(batch, column, (value) => inBounds(bounds, value));
}

/** A range rule's check: numbers only (a string in a numeric column is out of range). */
function rangeCheck(rule: Extract<DqRule, { kind: 'range' }>): (batch: ColumnBatch) => Check {
  const { column, per } = rule;
  const fallback = boundsOf(rule.limits);
  if (per === undefined) return (batch) => boundsAt(batch, column, fallback);
  const byKey = new Map(Object.entries(rule.limitsBy ?? {}).map(([key, limits]) => [key, boundsOf(limits)]));
  return (batch) => {
    const boundsAtRow = valueAt(batch, per, (key) => byKey.get(String(key)) ?? fallback);
    const nullable = batch.numbers?.[column];
    if (nullable) {
      const { values: numbers, present } = nullable;
      return (position) => {
        if (present[position] === 0) return true;
        const { min, max, above } = boundsAtRow(position);
        const value = numbers[position]!;
        return value >= min && value <= max && value > above;
      };
    }
    const values = batch.columns[column]!;
    return (position) => inBounds(boundsAtRow(position), values[position] ?? null);
  };
}

function requireDeviceIds(rule: DqRule, context: DqContext): ReadonlySet<string> {
  if (!context.deviceIds) throw new Error(`data-quality rule ${rule.name} (device_exists) needs the device ids in its context`);
  return context.deviceIds;
}

/** A loinc value that is not a code: the `mapped` rule's business, so other rules skip the row. */
const NOT_MAPPED = Symbol('not mapped');
const canonicalUnitOfValue = (loinc: CellValue): string | null | undefined | typeof NOT_MAPPED => (typeof loinc === 'string' ? canonicalUnitOf(loinc) : NOT_MAPPED);

/** The rule's check of a batch, and the columns it reads. */
function checkOf(rule: DqRule, context: DqContext): { columns: string[]; checkOf: (batch: ColumnBatch) => Check } {
  switch (rule.kind) {
    case 'not_null': {
      const { column } = rule;
      // A typed column holds no nulls; text kept as bytes says where it has them.
      return { columns: [column], checkOf: (batch) => (typedColumn(batch, column) ? () => true : presentAt(batch, column) ?? valueAt(batch, column, (value) => !isNull(value))) };
    }
    case 'range':
      return { columns: rule.per === undefined ? [rule.column] : [rule.column, rule.per], checkOf: rangeCheck(rule) };
    case 'allowed_values': {
      const { column } = rule;
      const allowed = new Set<CellValue>(rule.values);
      return { columns: [column], checkOf: (batch) => valueAt(batch, column, (value) => isNull(value) || allowed.has(value)) };
    }
    case 'device_exists': {
      const { column } = rule;
      const devices = requireDeviceIds(rule, context);
      return { columns: [column], checkOf: (batch) => valueAt(batch, column, (value) => isNull(value) || devices.has(String(value))) };
    }
    case 'timestamp_order': {
      const { earlier, later } = rule;
      const tolerance = rule.toleranceMs ?? 0;
      return {
        columns: [earlier, later],
        checkOf: (batch) => {
          const [from, to] = [numberAt(batch, earlier), numberAt(batch, later)];
          return (position) => {
            const a = from(position);
            const b = to(position);
            return a === null || b === null || b + tolerance >= a;
          };
        },
      };
    }
    case 'not_future': {
      const { column } = rule;
      const latest = context.nowMs + rule.toleranceMs;
      return { columns: [column], checkOf: (batch) => boundsAt(batch, column, { min: -Infinity, max: latest, above: -Infinity }) };
    }
    case 'max_age': {
      const { column } = rule;
      const earliest = context.nowMs - rule.maxAgeMs;
      return { columns: [column], checkOf: (batch) => boundsAt(batch, column, { min: earliest, max: Infinity, above: -Infinity }) };
    }
    case 'mapped': {
      const { column } = rule;
      return { columns: [column], checkOf: (batch) => valueAt(batch, column, (value) => typeof value === 'string' && value !== '') };
    }
    case 'unit_known': {
      const { column, loincColumn } = rule;
      return {
        columns: [column, loincColumn],
        checkOf: (batch) => {
          const canonicalAt = valueAt(batch, loincColumn, canonicalUnitOfValue);
          const unitAt = valueAt(batch, column, (unit) => (unit === '' ? null : unit));
          return (position) => {
            const canonical = canonicalAt(position);
            return canonical === NOT_MAPPED || canonical === unitAt(position);
          };
        },
      };
    }
  }
}

/** Whether the guard selects a row, and the column it reads. */
function guardOf(guard: RuleGuard): { column: string; appliesOf: (batch: ColumnBatch) => Check } {
  if ('isNull' in guard) {
    const { column, isNull: whenNull } = guard;
    return { column, appliesOf: (batch) => valueAt(batch, column, (value) => isNull(value) === whenNull) };
  }
  const { loincColumn, quantitative } = guard;
  const applies = (loinc: CellValue): boolean => {
    const unit = canonicalUnitOfValue(loinc);
    return unit !== NOT_MAPPED && unit !== undefined && (unit !== null) === quantitative;
  };
  return { column: loincColumn, appliesOf: (batch) => valueAt(batch, loincColumn, applies) };
}

function compile(rule: DqRule, context: DqContext): RuleOfTable {
  const check = checkOf(rule, context);
  const quarantines = rule.severity !== 'warn';
  if (!rule.onlyWhen) return { name: rule.name, quarantines, ...check };
  const { appliesOf, column } = guardOf(rule.onlyWhen);
  return {
    name: rule.name,
    quarantines,
    columns: [...check.columns, column],
    checkOf: (batch) => {
      const [applies, passes] = [appliesOf(batch), check.checkOf(batch)];
      return (position) => !applies(position) || passes(position);
    },
  };
}

/** A rule reading a column the rows lack would fail every row: a contract error, not bad data. */
function checkColumns(table: LimsTableName, rules: readonly RuleOfTable[], batch: ColumnBatch): void {
  for (const rule of rules) {
    // Text held as codes or bytes is looked for there: asking `columns` would spell out its values.
    const missing = rule.columns.find((column) => batch.codes?.[column] === undefined && batch.bytes?.[column] === undefined && batch.numbers?.[column] === undefined && batch.columns[column] === undefined);
    if (missing !== undefined) throw new Error(`data-quality rule ${rule.name} reads column ${missing}, which these ${table} rows do not have`);
  }
}

/**
 * Compiles the table's rules once; the returned evaluator splits a batch's rows into passed and
 * quarantined positions and counts failures per rule, reading the columns as they are (a rule on
 * coded text is decided once per distinct value).
 */
export function createPositionEvaluator(table: LimsTableName, context: DqContext, rules: readonly DqRule[] = DEFAULT_DQ_RULES): PositionEvaluator {
  const compiled = rules.filter((rule) => rule.table === table).map((rule) => compile(rule, context));
  const names = new Set(compiled.map((rule) => rule.name));
  if (names.size !== compiled.length) throw new Error(`data-quality rules of ${table} must have unique names`);
  const columns = [...new Set(compiled.flatMap((rule) => rule.columns))];
  return {
    columns,
    evaluate: (batch) => {
      const { length } = batch;
      if (length > 0) checkColumns(table, compiled, batch);
      const checks = length > 0 ? compiled.map((rule) => rule.checkOf(batch)) : [];
      const failures = new Array<number>(compiled.length).fill(0);
      const passed = new Int32Array(length);
      let passedCount = 0;
      const quarantined: { position: number; rules: string[] }[] = [];
      for (let position = 0; position < length; position++) {
        let broken: string[] | undefined;
        let quarantine = false;
        for (let i = 0; i < checks.length; i++) {
          if (checks[i]!(position)) continue;
          failures[i]!++;
          (broken ??= []).push(compiled[i]!.name);
          quarantine ||= compiled[i]!.quarantines;
        }
        if (broken && quarantine) quarantined.push({ position, rules: broken });
        else passed[passedCount++] = position;
      }
      const counts: Record<string, number> = {};
      compiled.forEach((rule, i) => (counts[rule.name] = failures[i]!));
      return { passed: passed.subarray(0, passedCount), quarantined, counts };
    },
  };
}

/** As createPositionEvaluator, for rows as objects. */
export function createEvaluator(table: LimsTableName, context: DqContext, rules: readonly DqRule[] = DEFAULT_DQ_RULES): (rows: readonly Row[]) => Evaluation {
  const evaluator = createPositionEvaluator(table, context, rules);
  return (rows) => {
    // The columns the rules read, those the rows have (a missing one is reported by name).
    const data: Record<string, CellValue[]> = {};
    for (const name of evaluator.columns) if (rows.length === 0 || Object.hasOwn(rows[0]!, name)) data[name] = rows.map((row) => row[name] ?? null);
    const { passed, quarantined, counts } = evaluator.evaluate(batchOf(rows.length, data));
    return { passed: Array.from(passed, (position) => rows[position]!), quarantined: quarantined.map(({ position, rules: broken }) => ({ row: rows[position]!, rules: broken })), counts };
  };
}

/** Evaluates one batch of a table's rows; use createEvaluator to reuse the compiled rules. */
export function evaluate(table: LimsTableName, rows: readonly Row[], context: DqContext, rules: readonly DqRule[] = DEFAULT_DQ_RULES): Evaluation {
  return createEvaluator(table, context, rules)(rows);
}
