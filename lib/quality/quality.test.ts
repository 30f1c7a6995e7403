import { describe, expect, it } from 'vitest';
import { GroundTruthRecorder } from '../simulate/truth.js';
import { simulateLab } from '../simulate/lab.js';
import { TEST_CATALOGUE } from '../simulate/catalogue.js';
import type { LimsTableName, Row } from '../sources/schema.js';
import { loadLoincMap } from '../standards/loinc.js';
import { toCanonical } from '../standards/ucum.js';
import { DEFAULT_DQ_RULES, PLAUSIBLE_LIMITS } from './default-rules.js';
import { batchOf, codesOfValues } from '../lake/parquet.js';
import { createEvaluator, createPositionEvaluator, evaluate } from './evaluate.js';
import { mergeDqReports, reportOf } from './report.js';
import type { DqContext, DqRule } from './rules.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const HOUR = 3_600_000;
const context: DqContext = { nowMs: NOW, deviceIds: new Set(['D1', 'D2']) };

/**
 * Evaluates one row against one rule of lab_results: true when it passes. The row's numbers also
 * go as typed columns, as the lake reads a column without nulls, and must get the same verdict.
 */
function passes(rule: DqRule, row: Row): boolean {
  const result = evaluate('lab_results', [row], context, [rule]);
  expect(result.counts[rule.name]).toBe(result.passed.length === 1 ? 0 : 1);
  const typed = batchOf(1, Object.fromEntries(Object.entries(row).map(([name, value]) => [name, typeof value === 'number' ? Float64Array.of(value) : [value ?? null]])));
  expect(createPositionEvaluator('lab_results', context, [rule]).evaluate(typed).passed.length).toBe(result.passed.length);
  return result.passed.length === 1;
}

const base = { name: 'rule', table: 'lab_results' } as const;

describe('rule kinds', () => {
  it.each<[string, DqRule, Row, Row]>([
    ['not_null', { ...base, kind: 'not_null', column: 'result_id' }, { result_id: 'R1' }, { result_id: null }],
    ['range', { ...base, kind: 'range', column: 'v', limits: { min: 0, max: 10 } }, { v: 10 }, { v: 10.5 }],
    ['range (below min)', { ...base, kind: 'range', column: 'v', limits: { min: 0, max: 10 } }, { v: 0 }, { v: -1 }],
    ['range (exclusive min)', { ...base, kind: 'range', column: 'v', limits: { exclusiveMin: 0 } }, { v: 0.001 }, { v: 0 }],
    ['range (a string is not a number)', { ...base, kind: 'range', column: 'v', limits: { min: 0 } }, { v: 1 }, { v: '1' }],
    [
      'range per LOINC',
      { ...base, kind: 'range', column: 'v', per: 'loinc', limitsBy: { '2345-7': { max: 2000 }, '2823-3': { max: 15 } } },
      { v: 500, loinc: '2345-7' },
      { v: 500, loinc: '2823-3' },
    ],
    [
      'range per LOINC, fallback limits for other codes',
      { ...base, kind: 'range', column: 'v', per: 'loinc', limits: { min: 0 }, limitsBy: { '2345-7': { max: 2000 } } },
      { v: 5, loinc: '9999-9' },
      { v: -5, loinc: '9999-9' },
    ],
    ['allowed_values', { ...base, kind: 'allowed_values', column: 'level', values: ['INFO', 'WARN', 'ERROR'] }, { level: 'WARN' }, { level: 'warn' }],
    ['device_exists', { ...base, kind: 'device_exists', column: 'device_id' }, { device_id: 'D2' }, { device_id: 'D3' }],
    [
      'timestamp_order',
      { ...base, kind: 'timestamp_order', earlier: 'received_at', later: 'resulted_at' },
      { received_at: NOW, resulted_at: NOW },
      { received_at: NOW, resulted_at: NOW - 1 },
    ],
    [
      'timestamp_order (tolerance)',
      { ...base, kind: 'timestamp_order', earlier: 'received_at', later: 'resulted_at', toleranceMs: HOUR },
      { received_at: NOW, resulted_at: NOW - HOUR },
      { received_at: NOW, resulted_at: NOW - HOUR - 1 },
    ],
    ['not_future', { ...base, kind: 'not_future', column: 'at', toleranceMs: HOUR }, { at: NOW + HOUR }, { at: NOW + HOUR + 1 }],
    ['max_age', { ...base, kind: 'max_age', column: 'at', maxAgeMs: 24 * HOUR }, { at: NOW - 24 * HOUR }, { at: Date.parse('1900-01-01') }],
    ['mapped', { ...base, kind: 'mapped', column: 'loinc_code' }, { loinc_code: '2345-7' }, { loinc_code: null }],
    [
      'unit_known',
      { ...base, kind: 'unit_known', column: 'unit', loincColumn: 'loinc_code' },
      { loinc_code: '2345-7', unit: 'mg/dL' },
      { loinc_code: '2345-7', unit: 'mmol/dm4' },
    ],
    [
      'unit_known (qualitative takes none)',
      { ...base, kind: 'unit_known', column: 'unit', loincColumn: 'loinc_code' },
      { loinc_code: '94500-6', unit: null },
      { loinc_code: '94500-6', unit: 'mg/dL' },
    ],
  ])('%s passes a good row and fails a bad one', (_kind, rule, good, bad) => {
    expect(passes(rule, good)).toBe(true);
    expect(passes(rule, bad)).toBe(false);
  });

  it.each<DqRule>([
    { ...base, kind: 'range', column: 'v', limits: { min: 0 } },
    { ...base, kind: 'allowed_values', column: 'v', values: ['a'] },
    { ...base, kind: 'device_exists', column: 'v' },
    { ...base, kind: 'timestamp_order', earlier: 'v', later: 'w' },
    { ...base, kind: 'not_future', column: 'v', toleranceMs: 0 },
    { ...base, kind: 'max_age', column: 'v', maxAgeMs: 0 },
    { ...base, kind: 'unit_known', column: 'v', loincColumn: 'w' },
  ])('$kind leaves a null to not_null', (rule) => {
    expect(passes(rule, { v: null, w: null })).toBe(true);
  });

  it('onlyWhen limits a rule to the rows it selects', () => {
    const valueWhenQuantitative: DqRule = {
      ...base, kind: 'not_null', column: 'result_value', onlyWhen: { loincColumn: 'loinc_code', quantitative: true },
    };
    expect(passes(valueWhenQuantitative, { loinc_code: '2345-7', result_value: null })).toBe(false);
    expect(passes(valueWhenQuantitative, { loinc_code: '94500-6', result_value: null })).toBe(true);
    expect(passes(valueWhenQuantitative, { loinc_code: null, result_value: null })).toBe(true);
    const textWhenNoUnit: DqRule = { ...base, kind: 'not_null', column: 'result_text', onlyWhen: { column: 'unit', isNull: true } };
    expect(passes(textWhenNoUnit, { unit: null, result_text: null })).toBe(false);
    expect(passes(textWhenNoUnit, { unit: 'mg/dL', result_text: null })).toBe(true);
  });
});

describe('evaluate', () => {
  const rules: DqRule[] = [
    { name: 'result_id_present', table: 'lab_results', kind: 'not_null', column: 'result_id' },
    { name: 'device_known', table: 'lab_results', kind: 'device_exists', column: 'device_id' },
    { name: 'sex_coded', table: 'lab_results', kind: 'allowed_values', column: 'sex', values: ['F', 'M', 'U'], severity: 'warn' },
    { name: 'level_known', table: 'device_logs', kind: 'allowed_values', column: 'level', values: ['INFO'] },
  ];
  const rows: Row[] = [
    { result_id: 'R1', device_id: 'D1', sex: 'F' },
    { result_id: null, device_id: 'D9', sex: 'F' },
    { result_id: 'R3', device_id: 'D9', sex: 'X' },
    { result_id: 'R4', device_id: 'D2', sex: 'X' },
  ];

  it('lists every rule a row broke, counts failures per rule, and lets warnings pass', () => {
    const result = evaluate('lab_results', rows, context, rules);
    expect(result.passed).toEqual([rows[0], rows[3]]);
    expect(result.quarantined).toEqual([
      { row: rows[1], rules: ['result_id_present', 'device_known'] },
      { row: rows[2], rules: ['device_known', 'sex_coded'] },
    ]);
    expect(result.counts).toEqual({ result_id_present: 1, device_known: 2, sex_coded: 2 });
  });

  it('reports per table, and merged reports add up rule by rule', () => {
    const evaluator = createEvaluator('lab_results', context, rules);
    const first = reportOf('lab_results', evaluator(rows.slice(0, 2)));
    const second = reportOf('lab_results', evaluator(rows.slice(2)));
    const logs = reportOf('device_logs', evaluate('device_logs', [{ level: 'INFO' }, { level: 'DEBUG' }], context, rules));
    expect(mergeDqReports(first, second, logs)).toEqual({
      ...reportOf('lab_results', evaluate('lab_results', rows, context, rules)),
      device_logs: { rowsIn: 2, passed: 1, quarantined: 1, failuresByRule: { level_known: 1 } },
    });
    expect(mergeDqReports(first, second).lab_results).toEqual({
      rowsIn: 4, passed: 2, quarantined: 2, failuresByRule: { result_id_present: 1, device_known: 2, sex_coded: 2 },
    });
  });

  it('refuses rows that lack a column a rule reads, instead of quarantining them all', () => {
    expect(() => evaluate('lab_results', [{ result_id: 'R1', sex: 'F' }], context, rules)).toThrow(
      'data-quality rule device_known reads column device_id, which these lab_results rows do not have',
    );
  });

  it('needs the device ids for device_exists, and unique rule names', () => {
    expect(() => createEvaluator('lab_results', { nowMs: NOW }, rules)).toThrow('device_known (device_exists) needs the device ids');
    expect(() => createEvaluator('lab_results', context, [...rules, rules[0]!])).toThrow('must have unique names');
  });
});

describe('default rules', () => {
  it('have unique names per table and plausible limits around every catalogue reference interval', () => {
    for (const table of ['lab_results', 'device_logs', 'quality_control', 'devices', 'maintenance_events'] as LimsTableName[]) {
      const names = DEFAULT_DQ_RULES.filter((rule) => rule.table === table).map((rule) => rule.name);
      expect(names.length, table).toBeGreaterThan(0);
      expect(new Set(names).size, table).toBe(names.length);
    }
    for (const test of TEST_CATALOGUE.filter((t) => t.units !== null)) {
      const limits = PLAUSIBLE_LIMITS[test.loinc];
      expect(limits, test.key).toBeDefined();
      for (const value of [test.referenceLow!, test.referenceHigh!, test.median, ...test.qcTargets]) {
        expect(value, test.key).toBeGreaterThanOrEqual(limits!.min!);
        expect(value, test.key).toBeLessThanOrEqual(limits!.max!);
      }
    }
  });

  describe('on a simulated lab, standardized as silver does', () => {
    const recorder = new GroundTruthRecorder();
    const tables: Record<LimsTableName, Row[]> = { lab_results: [], device_logs: [], quality_control: [], devices: [], maintenance_events: [] };
    for (const day of simulateLab({ devices: 24, days: 6, sites: 4, resultsPerDeviceDay: 250, seed: 11, start: '2026-01-01' }, recorder)) {
      for (const name of Object.keys(tables) as LimsTableName[]) tables[name].push(...day.tables[name]);
    }
    const counts = recorder.truth.counts;
    const siteOf = new Map(tables.devices.map((device) => [device.device_id as string, device.site_id as string]));
    const loinc = loadLoincMap({ LOINC_MAPPING_FILE: '' });
    const mapped = (row: Row): string | null => loinc.mapTestCode(siteOf.get(row.device_id as string) ?? null, row.test_code as string)?.loincCode ?? null;
    const silverResult = (row: Row): Row => {
      const loincCode = mapped(row);
      const canonical = loincCode === null ? undefined : toCanonical(loincCode, row.result_value as number | null, row.unit as string | null);
      return !canonical || 'error' in canonical ? { ...row, loinc_code: loincCode } : { ...row, loinc_code: loincCode, ...canonical, result_value: canonical.value };
    };
    const simContext: DqContext = { nowMs: Date.parse('2026-02-01T00:00:00Z'), deviceIds: new Set(siteOf.keys()) };
    const results = evaluate('lab_results', tables.lab_results.map(silverResult), simContext);

    it('quarantine exactly the unknown codes and missing values the simulator injected', () => {
      expect(results.counts.test_code_mapped_to_loinc).toBe(counts.unknownTestCodes);
      expect(results.counts.quantitative_result_has_value! + results.counts.qualitative_result_has_text!).toBe(counts.missingResultValues);
      expect(results.counts.unit_known_for_loinc).toBe(0);
      expect(results.counts.result_device_known).toBe(0);
      expect(results.counts.resulted_not_before_received).toBe(0);
      expect(counts.unknownTestCodes).toBeGreaterThan(0);
    });

    it('decide alike when the text columns come as dictionary codes (each distinct value checked once)', () => {
      const rows = tables.lab_results.map(silverResult);
      const names = [...new Set(rows.flatMap((row) => Object.keys(row)))];
      const coded = batchOf(rows.length, Object.fromEntries(names.map((name) => {
        const values = rows.map((row) => row[name] ?? null);
        return [name, values.some((v) => typeof v === 'string') ? codesOfValues(values) : values];
      })));
      const byPosition = createPositionEvaluator('lab_results', simContext).evaluate(coded);
      expect(byPosition.counts).toEqual(results.counts);
      expect(byPosition.quarantined.map((q) => [rows[q.position], q.rules])).toEqual(results.quarantined.map((q) => [q.row, q.rules]));
      expect(byPosition.passed.length).toBe(results.passed.length);
    });

    it('quarantine every negative value as implausible, and no value within 100x of its median', () => {
      const medianOf = new Map(TEST_CATALOGUE.map((test) => [test.loinc, test.median]));
      const implausible = results.quarantined.filter((q) => q.rules.includes('result_value_plausible'));
      expect(implausible.length).toBeGreaterThan(0);
      expect(implausible.length).toBeLessThanOrEqual(counts.implausibleValues);
      for (const { row } of implausible) {
        const value = row.result_value as number;
        expect(value < 0 || value > 100 * medianOf.get(row.loinc_code as string)!, JSON.stringify(row)).toBe(true);
      }
      const negatives = results.passed.filter((row) => typeof row.result_value === 'number' && row.result_value < 0);
      expect(negatives).toEqual([]);
    });

    it('pass the other tables apart from missing QC values', () => {
      const qc = tables.quality_control.map((row) => ({ ...row, loinc_code: mapped(row) }));
      const report = mergeDqReports(
        reportOf('quality_control', evaluate('quality_control', qc, simContext)),
        ...(['device_logs', 'devices', 'maintenance_events'] as const).map((table) => reportOf(table, evaluate(table, tables[table], simContext))),
      );
      expect(report.quality_control?.quarantined).toBe(counts.missingQcValues);
      expect(report.quality_control?.failuresByRule.measured_value_present).toBe(counts.missingQcValues);
      for (const table of ['device_logs', 'devices', 'maintenance_events'] as const) {
        expect(report[table]?.quarantined, table).toBe(0);
        expect(report[table]?.rowsIn, table).toBe(tables[table].length);
      }
    });
  });
});
