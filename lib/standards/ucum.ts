import { ANALYTES, type Analyte } from './analytes.js';

/**
 * UCUM unit normalization: a unit string is parsed into a factor and a dimension over the base
 * quantities below, values are converted within a dimension, and across dimensions only through
 * the analyte's own constants (molar mass, valence, enzyme unit).
 */

/**
 * Base quantities. Amounts of substance, equivalents and international units stay apart: only an
 * analyte's constants relate them. Counts (10*3, %) are dimensionless.
 */
const MASS = 0;
const LENGTH = 1;
const TIME = 2;
const AMOUNT = 3;
const EQUIVALENTS = 4;
const INTERNATIONAL_UNITS = 5;
const BASE_SYMBOLS = ['g', 'm', 's', 'mol', 'eq', '[IU]'];

type Dimension = readonly number[];

/** A parsed unit: one of it is `factor` times the base units of `dimension`. */
export interface ParsedUnit {
  readonly factor: number;
  readonly dimension: Dimension;
}

export interface CanonicalValue {
  readonly value: number | null;
  /** The LOINC code's canonical UCUM unit; null for qualitative tests. */
  readonly unit: string | null;
}

/** Why a value could not be normalized; silver quarantines the row with it. */
export interface UnitError {
  readonly error: string;
}

const dimension = (exponents: Partial<Record<number, number>>): Dimension =>
  BASE_SYMBOLS.map((_, base) => exponents[base] ?? 0);

interface Atom extends ParsedUnit {
  /** Metric atoms take prefixes (mg, uL); min, h, % do not. */
  readonly metric: boolean;
}

const atom = (factor: number, exponents: Partial<Record<number, number>>, metric: boolean): Atom => ({
  factor, dimension: dimension(exponents), metric,
});

const ATOMS: Readonly<Record<string, Atom>> = {
  g: atom(1, { [MASS]: 1 }, true),
  m: atom(1, { [LENGTH]: 1 }, true),
  L: atom(1e-3, { [LENGTH]: 3 }, true),
  l: atom(1e-3, { [LENGTH]: 3 }, true),
  s: atom(1, { [TIME]: 1 }, true),
  min: atom(60, { [TIME]: 1 }, false),
  h: atom(3600, { [TIME]: 1 }, false),
  d: atom(86_400, { [TIME]: 1 }, false),
  mol: atom(1, { [AMOUNT]: 1 }, true),
  eq: atom(1, { [EQUIVALENTS]: 1 }, true),
  // Enzyme unit: 1 U = 1 umol/min.
  U: atom(1e-6 / 60, { [AMOUNT]: 1, [TIME]: -1 }, true),
  kat: atom(1, { [AMOUNT]: 1, [TIME]: -1 }, true),
  '[IU]': atom(1, { [INTERNATIONAL_UNITS]: 1 }, true),
  '[iU]': atom(1, { [INTERNATIONAL_UNITS]: 1 }, true),
  '%': atom(0.01, {}, false),
};

/** Two-letter prefixes first, so that "da" is not read as "d" + "a". */
const PREFIXES: readonly (readonly [string, number])[] = [
  ['da', 1e1], ['G', 1e9], ['M', 1e6], ['k', 1e3], ['h', 1e2], ['d', 1e-1], ['c', 1e-2], ['m', 1e-3], ['u', 1e-6], ['n', 1e-9], ['p', 1e-12], ['f', 1e-15],
];

/** Common LIMS spellings rewritten to UCUM before parsing. */
const SPELLINGS: readonly (readonly [RegExp, string])[] = [
  [/\s+/g, ''],
  [/[\u00B5\u03BC]/g, 'u'], // micro sign and Greek mu
  [/mcg/g, 'ug'],
  [/(?<!\[)IU(?!\])/g, '[IU]'],
  [/Eq/g, 'eq'],
  // x10^3/uL, 10^9/L, 10E3/uL: powers of ten
  [/(^|[./(])[x\u00D7]?10(?:\^|[eE]|\*)(?=[+-]?\d)/g, '$110*'],
  // K/uL, M/uL: thousands and millions per volume (Kelvin per volume would make no sense)
  [/^K\//, '10*3/'],
  [/^M\//, '10*6/'],
];

function ucumSpelling(unit: string): string {
  return SPELLINGS.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), unit);
}

/** Parses a UCUM unit (or a common spelling of one); annotations such as {cells} count as 1. */
export function parseUnit(unit: string): ParsedUnit | UnitError {
  const text = ucumSpelling(unit).replace(/\{[^}]*\}/g, '');
  if (text === '' || text === '1') return { factor: 1, dimension: dimension({}) };
  const parser = new UnitParser(text);
  const parsed = parser.term();
  return parsed && parser.atEnd() ? parsed : { error: `unknown unit '${unit}'` };
}

/** Recursive descent over UCUM's term syntax: components joined by "." and "/", left to right. */
class UnitParser {
  private position = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.position === this.text.length;
  }

  term(): ParsedUnit | undefined {
    let result: ParsedUnit = { factor: 1, dimension: dimension({}) };
    let divide = this.take('/');
    for (;;) {
      const next = this.component();
      if (!next) return undefined;
      result = combine(result, next, divide ? -1 : 1);
      if (this.take('.')) divide = false;
      else if (this.take('/')) divide = true;
      else return result;
    }
  }

  private component(): ParsedUnit | undefined {
    if (this.take('(')) {
      const inner = this.term();
      return inner && this.take(')') ? inner : undefined;
    }
    const match = /^[^./()]+/.exec(this.text.slice(this.position));
    if (!match) return undefined;
    this.position += match[0].length;
    return simpleUnit(match[0]);
  }

  private take(symbol: string): boolean {
    if (this.text[this.position] !== symbol) return false;
    this.position++;
    return true;
  }
}

function combine(left: ParsedUnit, right: ParsedUnit, power: number): ParsedUnit {
  return {
    factor: left.factor * right.factor ** power,
    dimension: left.dimension.map((exponent, base) => exponent + power * (right.dimension[base] ?? 0)),
  };
}

/** A number (10*3, 1000), or a prefixed atom with an optional exponent (mg, mm3, s-1). */
function simpleUnit(token: string): ParsedUnit | undefined {
  const power = /^10\*([+-]?\d+)$/.exec(token);
  if (power) return { factor: 10 ** Number(power[1]), dimension: dimension({}) };
  if (/^\d+$/.test(token)) return { factor: Number(token), dimension: dimension({}) };
  const [, symbol = '', exponent] = /^(.*?)([+-]?\d+)?$/.exec(token) ?? [];
  const unit = prefixedAtom(symbol);
  return unit && combine({ factor: 1, dimension: dimension({}) }, unit, exponent === undefined ? 1 : Number(exponent));
}

function prefixedAtom(symbol: string): ParsedUnit | undefined {
  const plain = ATOMS[symbol];
  if (plain) return plain;
  for (const [prefix, factor] of PREFIXES) {
    const base = symbol.startsWith(prefix) ? ATOMS[symbol.slice(prefix.length)] : undefined;
    if (base?.metric) return { factor: factor * base.factor, dimension: base.dimension };
  }
  return undefined;
}

function describe(dim: Dimension): string {
  const parts = dim.flatMap((exponent, base) => (exponent === 0 ? [] : [`${BASE_SYMBOLS[base]}${exponent === 1 ? '' : exponent}`]));
  return parts.length === 0 ? '1' : parts.join('.');
}

/** How to turn a value in a site's unit into the canonical unit: canonical = value * scale + offset. */
export interface Conversion {
  readonly scale: number;
  readonly offset: number;
  readonly unit: string | null;
  readonly decimals: number;
}

/**
 * Constants that relate base quantities for one analyte: each replaces one unit of `from` by
 * `factor` units of `to` (1 g of glucose = 1/180.16 mol).
 */
interface Bridge {
  readonly from: number;
  readonly to: Partial<Record<number, number>>;
  readonly factor: number;
}

function bridgesOf(analyte: Analyte): Bridge[] {
  const bridges: Bridge[] = [];
  if (analyte.molarMass) bridges.push({ from: MASS, to: { [AMOUNT]: 1 }, factor: 1 / analyte.molarMass });
  if (analyte.valence) bridges.push({ from: EQUIVALENTS, to: { [AMOUNT]: 1 }, factor: 1 / analyte.valence });
  if (analyte.enzyme) bridges.push({ from: INTERNATIONAL_UNITS, to: { [AMOUNT]: 1, [TIME]: -1 }, factor: 1e-6 / 60 });
  return bridges;
}

/** Scale from `source` to `target` units, crossing dimensions only through the analyte's bridges. */
function dimensionalScale(source: ParsedUnit, target: ParsedUnit, analyte: Analyte): number | string {
  const difference = source.dimension.map((exponent, base) => exponent - (target.dimension[base] ?? 0));
  let scale = source.factor / target.factor;
  for (const bridge of bridgesOf(analyte)) {
    const times = difference[bridge.from] ?? 0;
    if (times === 0) continue;
    scale *= bridge.factor ** times;
    difference[bridge.from] = 0;
    for (const [base, exponent] of Object.entries(bridge.to)) difference[Number(base)]! += times * (exponent ?? 0);
  }
  if (difference.every((exponent) => exponent === 0)) return scale;
  const needsMolarMass = source.dimension[MASS] !== target.dimension[MASS] && !analyte.molarMass;
  return needsMolarMass
    ? 'converting between mass and substance needs a molar mass, and none is known for this analyte'
    : `a ${describe(source.dimension)} quantity is not a ${describe(target.dimension)} quantity`;
}

const ANALYTE_BY_LOINC = new Map(ANALYTES.map((analyte) => [analyte.loinc, analyte]));

/** The canonical unit of a LOINC code: null for qualitative tests, undefined when the code is unknown here. */
export function canonicalUnitOf(loinc: string): string | null | undefined {
  return ANALYTE_BY_LOINC.get(loinc)?.canonicalUnit;
}

function conversionOf(loinc: string, unit: string): Conversion | UnitError {
  const analyte = ANALYTE_BY_LOINC.get(loinc);
  if (!analyte) return { error: `no canonical unit is defined for LOINC ${loinc}` };
  const canonical = analyte.canonicalUnit;
  const exact = (scale: number, offset: number): Conversion => ({ scale, offset, unit: canonical, decimals: analyte.decimals });
  if (canonical === null) return unit === '' ? exact(1, 0) : { error: `unit '${unit}' given for qualitative LOINC ${loinc}` };
  if (unit === '') return { error: `missing unit for LOINC ${loinc} (canonical ${canonical})` };
  const spelled = ucumSpelling(unit);
  if (spelled === ucumSpelling(canonical)) return exact(1, 0);
  const equation = analyte.equations?.find((e) => ucumSpelling(e.unit) === spelled);
  if (equation) return exact(equation.scale, equation.offset);
  if (analyte.convertByDimension === false) {
    const known = [canonical, ...(analyte.equations ?? []).map((e) => e.unit)].join(', ');
    return { error: `unit '${unit}' is refused for LOINC ${loinc}: only ${known} are on its scale` };
  }
  const source = parseUnit(unit);
  if ('error' in source) return { error: `${source.error} for LOINC ${loinc}` };
  const target = parseUnit(canonical);
  if ('error' in target) return { error: `canonical unit '${canonical}' of LOINC ${loinc} does not parse` };
  const scale = dimensionalScale(source, target, analyte);
  return typeof scale === 'number' ? exact(scale, 0) : { error: `unit '${unit}' does not convert to ${canonical} for LOINC ${loinc}: ${scale}` };
}

/** Conversions by LOINC code and unit as written: a run meets few distinct pairs, each parsed once. */
const conversions = new Map<string, Map<string, Conversion | UnitError>>();

function cachedConversion(loinc: string, unit: string): Conversion | UnitError {
  let byUnit = conversions.get(loinc);
  if (!byUnit) conversions.set(loinc, (byUnit = new Map()));
  let conversion = byUnit.get(unit);
  if (!conversion) byUnit.set(unit, (conversion = conversionOf(loinc, unit)));
  return conversion;
}

/** The conversion of a unit as written (null: none given) to the LOINC code's canonical unit; qualitative tests take no unit. */
export function canonicalConversion(loinc: string, unit: string | null): Conversion | UnitError {
  return cachedConversion(loinc, unit?.trim() ?? '');
}

/** 10^0 to 10^15, looked up: a power computed per converted value showed in a lab unit's CPU profile. */
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, n) => 10 ** n);

/**
 * A value converted, rounded to the canonical precision plus `extraDecimals` (QC values and
 * reference limits carry more decimals than patient results).
 */
export function convertValue(conversion: Conversion, value: number, extraDecimals = 0): number {
  const decimals = conversion.decimals + extraDecimals;
  const precision = POWERS_OF_TEN[decimals] ?? 10 ** decimals;
  return Math.round((value * conversion.scale + conversion.offset) * precision) / precision;
}

/**
 * A value in the LOINC code's canonical unit, rounded to the canonical precision (plus
 * `extraDecimals`). A missing value stays null but its unit must still be known.
 */
export function toCanonical(loinc: string, value: number | null, unit: string | null, extraDecimals = 0): CanonicalValue | UnitError {
  const conversion = canonicalConversion(loinc, unit);
  if ('error' in conversion) return conversion;
  return { value: value === null ? null : convertValue(conversion, value, extraDecimals), unit: conversion.unit };
}
