import type { LimsTableName } from '../sources/schema.js';

/**
 * Data-quality expectations, declared as data. Rules read silver-shaped rows (after type
 * coercion, LOINC mapping and unit normalization). Every kind except `not_null` and `mapped`
 * passes a null value: missing values are `not_null`'s business, so each failure has one name.
 */
export type DqRule = RuleCommon & RuleCheck;

export interface RuleCommon {
  /** Unique, self-explaining: it is what quarantined rows and reports carry. */
  readonly name: string;
  readonly table: LimsTableName;
  /** `quarantine` (default) takes the row out of silver; `warn` only counts it. */
  readonly severity?: 'quarantine' | 'warn';
  readonly onlyWhen?: RuleGuard;
}

/** Rows a rule applies to; the others pass it. */
export type RuleGuard =
  /** Rows where `column` is null (isNull: true) or not null (isNull: false). */
  | { readonly column: string; readonly isNull: boolean }
  /** Rows whose LOINC code is of a quantitative test (it has a canonical unit) or of a qualitative one; unmapped rows are skipped. */
  | { readonly loincColumn: string; readonly quantitative: boolean };

export interface Limits {
  readonly min?: number;
  readonly max?: number;
  /** The value must be strictly greater than this (a standard deviation must be positive). */
  readonly exclusiveMin?: number;
}

export type RuleCheck =
  | { readonly kind: 'not_null'; readonly column: string }
  | {
      readonly kind: 'range';
      readonly column: string;
      /** Limits for rows whose `per` column has no entry in `limitsBy` (or all rows without `per`). */
      readonly limits?: Limits;
      readonly per?: string;
      readonly limitsBy?: Readonly<Record<string, Limits>>;
    }
  | { readonly kind: 'allowed_values'; readonly column: string; readonly values: readonly (string | number)[] }
  /** The value is a key of the devices table (DqContext.deviceIds). */
  | { readonly kind: 'device_exists'; readonly column: string }
  /** `later` is not before `earlier` (minus a tolerance for clock differences). */
  | { readonly kind: 'timestamp_order'; readonly earlier: string; readonly later: string; readonly toleranceMs?: number }
  /** Not after DqContext.nowMs plus a tolerance. */
  | { readonly kind: 'not_future'; readonly column: string; readonly toleranceMs: number }
  /** Not older than maxAgeMs before DqContext.nowMs: catches placeholder dates such as 1900-01-01. */
  | { readonly kind: 'max_age'; readonly column: string; readonly maxAgeMs: number }
  /** The LOINC mapping found a code: silver leaves the column null when it did not. */
  | { readonly kind: 'mapped'; readonly column: string }
  /** The unit is its LOINC code's canonical unit: silver keeps the reported unit when it could not convert it. */
  | { readonly kind: 'unit_known'; readonly column: string; readonly loincColumn: string };

export type DqRuleKind = RuleCheck['kind'];

/** What rules are checked against besides the row itself. */
export interface DqContext {
  /** "Now" for not_future and max_age: the run's start time. */
  readonly nowMs: number;
  /** Keys of the devices table; required by device_exists rules. */
  readonly deviceIds?: ReadonlySet<string>;
}
