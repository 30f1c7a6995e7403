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

/** Row `position` of a batch; it may be one object refilled per call, so a caller copies what it keeps. */
export type RowAt = (position: number) => Row;

export interface PositionEvaluator {
  /** The columns the rules read: the rows given need no others. */
  readonly columns: readonly string[];
  evaluate(length: number, rowAt: RowAt): PositionEvaluation;
}

type Check = (row: Row) => boolean;

interface CompiledRule {
  readonly name: string;
  readonly quarantines: boolean;
  /** Columns the rule reads, checked against the rows once per batch. */
  readonly columns: readonly string[];
  readonly passes: Check;
}

const isNull = (value: CellValue | undefined): boolean => value === null || value === undefined;

function withinLimits(limits: Limits | undefined): (value: number) => boolean {
  const min = limits?.min ?? -Infinity;
  const max = limits?.max ?? Infinity;
  const above = limits?.exclusiveMin ?? -Infinity;
  return (value) => value >= min && value <= max && value > above;
}

/** A range rule's check: numbers only (a string in a numeric column is out of range). */
function rangeCheck(rule: Extract<DqRule, { kind: 'range' }>): Check {
  const { column, per } = rule;
  const fallback = withinLimits(rule.limits);
  if (per === undefined) {
    return (row) => {
      const value = row[column];
      return isNull(value) || (typeof value === 'number' && fallback(value));
    };
  }
  const byKey = new Map(Object.entries(rule.limitsBy ?? {}).map(([key, limits]) => [key, withinLimits(limits)]));
  return (row) => {
    const value = row[column];
    if (isNull(value)) return true;
    const within = byKey.get(String(row[per])) ?? fallback;
    return typeof value === 'number' && within(value);
  };
}

function requireDeviceIds(rule: DqRule, context: DqContext): ReadonlySet<string> {
  if (!context.deviceIds) throw new Error(`data-quality rule ${rule.name} (device_exists) needs the device ids in its context`);
  return context.deviceIds;
}

/** The rule's check as a closure, and the columns it reads. */
function checkOf(rule: DqRule, context: DqContext): { passes: Check; columns: string[] } {
  switch (rule.kind) {
    case 'not_null': {
      const { column } = rule;
      return { columns: [column], passes: (row) => !isNull(row[column]) };
    }
    case 'range':
      return { columns: rule.per === undefined ? [rule.column] : [rule.column, rule.per], passes: rangeCheck(rule) };
    case 'allowed_values': {
      const { column } = rule;
      const allowed = new Set<CellValue>(rule.values);
      return { columns: [column], passes: (row) => isNull(row[column]) || allowed.has(row[column]!) };
    }
    case 'device_exists': {
      const { column } = rule;
      const devices = requireDeviceIds(rule, context);
      return { columns: [column], passes: (row) => isNull(row[column]) || devices.has(String(row[column])) };
    }
    case 'timestamp_order': {
      const { earlier, later } = rule;
      const tolerance = rule.toleranceMs ?? 0;
      return {
        columns: [earlier, later],
        passes: (row) => isNull(row[earlier]) || isNull(row[later]) || (row[later] as number) + tolerance >= (row[earlier] as number),
      };
    }
    case 'not_future': {
      const { column } = rule;
      const latest = context.nowMs + rule.toleranceMs;
      return { columns: [column], passes: (row) => isNull(row[column]) || (row[column] as number) <= latest };
    }
    case 'max_age': {
      const { column } = rule;
      const earliest = context.nowMs - rule.maxAgeMs;
      return { columns: [column], passes: (row) => isNull(row[column]) || (row[column] as number) >= earliest };
    }
    case 'mapped': {
      const { column } = rule;
      return { columns: [column], passes: (row) => typeof row[column] === 'string' && row[column] !== '' };
    }
    case 'unit_known': {
      const { column, loincColumn } = rule;
      return {
        columns: [column, loincColumn],
        passes: (row) => {
          const loinc = row[loincColumn];
          if (typeof loinc !== 'string') return true; // unmapped: the mapped rule says so
          const unit = row[column];
          return canonicalUnitOf(loinc) === (unit === '' || unit === undefined ? null : unit);
        },
      };
    }
  }
}

/** Whether the guard selects a row, and the column it reads. */
function guardOf(guard: RuleGuard): { applies: Check; column: string } {
  if ('isNull' in guard) {
    const { column, isNull: whenNull } = guard;
    return { column, applies: (row) => isNull(row[column]) === whenNull };
  }
  const { loincColumn, quantitative } = guard;
  return {
    column: loincColumn,
    applies: (row) => {
      const loinc = row[loincColumn];
      const unit = typeof loinc === 'string' ? canonicalUnitOf(loinc) : undefined;
      return unit !== undefined && (unit !== null) === quantitative;
    },
  };
}

function compile(rule: DqRule, context: DqContext): CompiledRule {
  const { passes, columns } = checkOf(rule, context);
  const quarantines = rule.severity !== 'warn';
  if (!rule.onlyWhen) return { name: rule.name, quarantines, columns, passes };
  const { applies, column } = guardOf(rule.onlyWhen);
  return { name: rule.name, quarantines, columns: [...columns, column], passes: (row) => !applies(row) || passes(row) };
}

/** A rule reading a column the rows lack would fail every row: a contract error, not bad data. */
function checkColumns(table: LimsTableName, rules: readonly CompiledRule[], sample: Row): void {
  for (const rule of rules) {
    const missing = rule.columns.find((column) => !Object.hasOwn(sample, column));
    if (missing !== undefined) throw new Error(`data-quality rule ${rule.name} reads column ${missing}, which these ${table} rows do not have`);
  }
}

/**
 * Compiles the table's rules to closures once; the returned function splits `length` rows, read
 * by position, into passed and quarantined rows and counts failures per rule.
 */
export function createPositionEvaluator(table: LimsTableName, context: DqContext, rules: readonly DqRule[] = DEFAULT_DQ_RULES): PositionEvaluator {
  const compiled = rules.filter((rule) => rule.table === table).map((rule) => compile(rule, context));
  const names = new Set(compiled.map((rule) => rule.name));
  if (names.size !== compiled.length) throw new Error(`data-quality rules of ${table} must have unique names`);
  const columns = [...new Set(compiled.flatMap((rule) => rule.columns))];
  return { columns, evaluate: (length, rowAt) => {
    if (length > 0) checkColumns(table, compiled, rowAt(0));
    const failures = new Array<number>(compiled.length).fill(0);
    const passed = new Int32Array(length);
    let passedCount = 0;
    const quarantined: { position: number; rules: string[] }[] = [];
    for (let position = 0; position < length; position++) {
      const row = rowAt(position);
      let broken: string[] | undefined;
      let quarantine = false;
      for (let i = 0; i < compiled.length; i++) {
        const rule = compiled[i]!;
        if (rule.passes(row)) continue;
        failures[i]!++;
        (broken ??= []).push(rule.name);
        quarantine ||= rule.quarantines;
      }
      if (broken && quarantine) quarantined.push({ position, rules: broken });
      else passed[passedCount++] = position;
    }
    const counts: Record<string, number> = {};
    compiled.forEach((rule, i) => (counts[rule.name] = failures[i]!));
    return { passed: passed.subarray(0, passedCount), quarantined, counts };
  } };
}

/** As createPositionEvaluator, for rows as objects. */
export function createEvaluator(table: LimsTableName, context: DqContext, rules: readonly DqRule[] = DEFAULT_DQ_RULES): (rows: readonly Row[]) => Evaluation {
  const evaluator = createPositionEvaluator(table, context, rules);
  return (rows) => {
    const { passed, quarantined, counts } = evaluator.evaluate(rows.length, (position) => rows[position]!);
    return { passed: Array.from(passed, (position) => rows[position]!), quarantined: quarantined.map(({ position, rules: broken }) => ({ row: rows[position]!, rules: broken })), counts };
  };
}

/** Evaluates one batch of a table's rows; use createEvaluator to reuse the compiled rules. */
export function evaluate(table: LimsTableName, rows: readonly Row[], context: DqContext, rules: readonly DqRule[] = DEFAULT_DQ_RULES): Evaluation {
  return createEvaluator(table, context, rules)(rows);
}
