import { describe, expect, it } from 'vitest';
import { TEST_CATALOGUE, siteTestCodes } from '../simulate/catalogue.js';
import { ANALYTES } from './analytes.js';
import { canonicalUnitOf, parseUnit, toCanonical, type CanonicalValue, type UnitError } from './ucum.js';

const GLUCOSE = '2345-7';
const CREATININE = '2160-0';
const HBA1C = '4548-4';

function converted(result: CanonicalValue | UnitError): CanonicalValue {
  if ('error' in result) throw new Error(result.error);
  return result;
}

function factorOf(unit: string): number {
  const parsed = parseUnit(unit);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.factor;
}

describe('UCUM parsing', () => {
  it.each([
    ['mg/dL', 1e-3 / 1e-4],
    ['umol/L', 1e-6 / 1e-3],
    ['µmol/L', 1e-6 / 1e-3],
    ['μmol/L', 1e-6 / 1e-3],
    ['10*3/uL', 1e3 / 1e-9],
    ['10*9/L', 1e9 / 1e-3],
    ['x10^9/L', 1e9 / 1e-3],
    ['K/uL', 1e3 / 1e-9],
    ['10*3{cells}/uL', 1e3 / 1e-9],
    ['mcg/L', 1e-6 / 1e-3],
    ['mm3', 1e-9],
    ['%', 0.01],
    ['mmol/mol', 1e-3],
    ['g/(24.h)', 1 / 86_400],
  ])('%s is %d base units', (unit, factor) => {
    expect(factorOf(unit)).toBeCloseTo(factor, 6);
  });

  it('reads IU spellings as international units and U as umol/min', () => {
    expect(parseUnit('mIU/L')).toEqual(parseUnit('m[IU]/L'));
    expect(factorOf('uIU/mL')).toBeCloseTo(factorOf('m[IU]/L'), 12);
    expect(factorOf('U/L')).toBeCloseTo(factorOf('umol/min/L'), 15);
  });

  it.each(['mg%', 'furlong/L', 'mg/', '(mg/dL', 'bananas'])('refuses %s', (unit) => {
    expect(parseUnit(unit)).toEqual({ error: `unknown unit '${unit}'` });
  });
});

describe('toCanonical', () => {
  it('puts glucose in mg/dL and in mmol/L at the same canonical value', () => {
    expect(converted(toCanonical(GLUCOSE, 99, 'mg/dL'))).toEqual({ value: 99, unit: 'mg/dL' });
    expect(converted(toCanonical(GLUCOSE, 5.5, 'mmol/L'))).toEqual({ value: 99, unit: 'mg/dL' });
    expect(converted(toCanonical(GLUCOSE, 5.5, 'mmol/L', 2)).value).toBeCloseTo(5.5 * 18.016, 2);
  });

  it('puts creatinine in mg/dL and in µmol/L at the same canonical value (molar mass 113.12)', () => {
    expect(converted(toCanonical(CREATININE, 0.9, 'mg/dL'))).toEqual({ value: 0.9, unit: 'mg/dL' });
    expect(converted(toCanonical(CREATININE, 80, 'µmol/L'))).toEqual({ value: 0.9, unit: 'mg/dL' });
    expect(converted(toCanonical(CREATININE, 88.4, 'umol/L'))).toEqual({ value: 1, unit: 'mg/dL' });
  });

  it('converts equivalents through the valence (calcium is divalent)', () => {
    expect(converted(toCanonical('2951-2', 140, 'mEq/L'))).toEqual({ value: 140, unit: 'mmol/L' });
    expect(converted(toCanonical('17861-6', 4.8, 'mEq/L')).value).toBeCloseTo(2.4 * 4.008, 1);
  });

  it('reads IU of an enzyme as U, and refuses U for a hormone in IU', () => {
    expect(converted(toCanonical('1742-6', 30, 'IU/L'))).toEqual({ value: 30, unit: 'U/L' });
    expect(toCanonical('3016-3', 2, 'U/L')).toHaveProperty('error');
  });

  it('refuses an unknown unit with a reason naming unit and LOINC', () => {
    expect(toCanonical(GLUCOSE, 5.5, 'mmol/litre')).toEqual({ error: "unknown unit 'mmol/litre' for LOINC 2345-7" });
    expect(toCanonical(GLUCOSE, 5.5, 'mmol/dm4')).toEqual({
      error: "unit 'mmol/dm4' does not convert to mg/dL for LOINC 2345-7: a m-4.mol quantity is not a g.m-3 quantity",
    });
    expect(toCanonical(GLUCOSE, 5.5, 'mg')).toEqual({
      error: "unit 'mg' does not convert to mg/dL for LOINC 2345-7: a g quantity is not a g.m-3 quantity",
    });
    expect(toCanonical('1988-5', 5, 'nmol/L')).toEqual({
      error: "unit 'nmol/L' does not convert to mg/L for LOINC 1988-5: converting between mass and substance needs a molar mass, and none is known for this analyte",
    });
    expect(toCanonical(GLUCOSE, 99, null)).toEqual({ error: 'missing unit for LOINC 2345-7 (canonical mg/dL)' });
    expect(toCanonical('0000-0', 1, 'mg/dL')).toEqual({ error: 'no canonical unit is defined for LOINC 0000-0' });
  });

  it('converts HbA1c from IFCC mmol/mol with the master equation and refuses other ratios', () => {
    expect(converted(toCanonical(HBA1C, 48, 'mmol/mol'))).toEqual({ value: 6.5, unit: '%' });
    expect(converted(toCanonical(HBA1C, 6.5, '%'))).toEqual({ value: 6.5, unit: '%' });
    expect(toCanonical(HBA1C, 0.065, '1')).toEqual({ error: "unit '1' is refused for LOINC 4548-4: only %, mmol/mol are on its scale" });
  });

  it('keeps a missing value null, and takes no unit for a qualitative test', () => {
    expect(toCanonical(GLUCOSE, null, 'mmol/L')).toEqual({ value: null, unit: 'mg/dL' });
    expect(toCanonical('94500-6', null, null)).toEqual({ value: null, unit: null });
    expect(toCanonical('94500-6', null, 'mg/dL')).toEqual({ error: "unit 'mg/dL' given for qualitative LOINC 94500-6" });
  });

  it('has one canonical unit per catalogue LOINC, the catalogue\'s own', () => {
    for (const test of TEST_CATALOGUE) expect(canonicalUnitOf(test.loinc), test.key).toBe(test.ucumUnit);
    expect(new Set(ANALYTES.map((a) => a.loinc)).size).toBe(ANALYTES.length);
  });

  it('converts every (site, local code, unit) of the simulator with the catalogue\'s factor', () => {
    // Creatinine: the simulator's 88.42 and the molar mass 113.12 (88.40) differ by 0.02%.
    for (const code of siteTestCodes(8)) {
      const label = `${code.site_id} ${code.local_code} ${code.local_unit ?? '(none)'}`;
      const local = code.local_unit === null ? null : 50;
      const result = converted(toCanonical(code.loinc, local, code.local_unit, 6));
      expect(result.unit, label).toBe(code.ucum_unit);
      if (local !== null) expect(Math.abs(result.value! / (local * code.to_canonical) - 1), label).toBeLessThan(5e-4);
    }
  });
});
