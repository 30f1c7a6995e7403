import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LIMS_TABLES, LIMS_TABLE_NAMES, type LimsTableName, type Row } from '../sources/schema.js';
import { UNKNOWN_TEST_CODES, siteTestCodes } from './catalogue.js';
import { GroundTruthRecorder, REGIONS, regionOfPostalCode, simulateLab, type SimulatedDay, type SimulationOptions } from './index.js';
import { DAY_MS } from '../calendar/days.js';

const SMALL: SimulationOptions = { devices: 24, days: 21, sites: 4, resultsPerDeviceDay: 40, seed: 11, start: '2026-01-01' };
function fingerprint(options: SimulationOptions): string {
  const hash = createHash('sha256');
  for (const day of simulateLab(options)) hash.update(JSON.stringify(day));
  return hash.digest('hex');
}

const recorder = new GroundTruthRecorder();
const days: SimulatedDay[] = [...simulateLab(SMALL, recorder)];
const truth = recorder.truth;
const all = (table: LimsTableName): Row[] => days.flatMap((d) => d.tables[table]);
const results = all('lab_results');
const siteOfDevice = new Map(all('devices').map((d) => [d.device_id as string, d.site_id as string]));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe('simulateLab', () => {
  it('gives the same lab for the same seed and another lab for another seed', () => {
    const tiny = { ...SMALL, devices: 6, days: 4 };
    expect(fingerprint(tiny)).toBe(fingerprint(tiny));
    expect(fingerprint({ ...tiny, seed: tiny.seed + 1 })).not.toBe(fingerprint(tiny));
  });

  it('yields every table each day, sorted by (modified_at, key), rows on their own UTC day', () => {
    expect(days.map((d) => d.day)).toEqual(Array.from({ length: SMALL.days }, (_, i) => new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10)));
    const misplaced: string[] = [];
    for (const day of days) {
      const start = Date.parse(`${day.day}T00:00:00Z`);
      for (const table of LIMS_TABLE_NAMES) {
        const key = LIMS_TABLES[table].key;
        const rows = day.tables[table];
        rows.forEach((row, i) => {
          const modifiedAt = row.modified_at as number;
          if (modifiedAt < start || modifiedAt >= start + DAY_MS) misplaced.push(`${table} ${String(row[key])} is not on ${day.day}`);
          const previous = rows[i - 1];
          if (!previous) return;
          const previousAt = previous.modified_at as number;
          if (previousAt > modifiedAt || (previousAt === modifiedAt && String(previous[key]) > String(row[key]))) {
            misplaced.push(`${table} ${String(row[key])} is out of order`);
          }
        });
      }
    }
    expect(misplaced).toEqual([]);
  });

  it('averages about resultsPerDeviceDay results per device-day, fewer at weekends', () => {
    expect(results.length / (SMALL.devices * SMALL.days)).toBeGreaterThan(SMALL.resultsPerDeviceDay * 0.85);
    expect(results.length / (SMALL.devices * SMALL.days)).toBeLessThan(SMALL.resultsPerDeviceDay * 1.15);
    const weekdayOf = (day: SimulatedDay): number => new Date(`${day.day}T00:00:00Z`).getUTCDay();
    const perDay = (filter: (weekday: number) => boolean): number => {
      const chosen = days.filter((d) => filter(weekdayOf(d)));
      return chosen.reduce((sum, d) => sum + d.tables.lab_results.length, 0) / chosen.length;
    };
    expect(perDay((w) => w === 0 || w === 6)).toBeLessThan(0.75 * perDay((w) => w >= 1 && w <= 5));
  });

  it('reports glucose in mg/dL at one site and mmol/L at another, agreeing after conversion', () => {
    const codes = siteTestCodes(SMALL.sites).filter((c) => c.test_key === 'glucose');
    const byUnit = new Map<string, number[]>();
    for (const code of codes) {
      const values = results
        .filter((r) => r.status === 'final' && r.test_code === code.local_code && siteOfDevice.get(r.device_id as string) === code.site_id)
        .map((r) => r.result_value)
        .filter((v): v is number => typeof v === 'number' && v > 0 && v < 1000)
        .map((v) => v * code.to_canonical);
      byUnit.set(code.local_unit!, [...(byUnit.get(code.local_unit!) ?? []), ...values]);
    }
    const mgdl = byUnit.get('mg/dL') ?? [];
    const mmol = byUnit.get('mmol/L') ?? [];
    expect(mgdl.length).toBeGreaterThan(300);
    expect(mmol.length).toBeGreaterThan(300);
    expect(Math.abs(median(mgdl) / median(mmol) - 1)).toBeLessThan(0.05);
    expect(codes.find((c) => c.local_unit === 'mmol/L')?.to_canonical).toBe(18.016);
  });

  it('reports qualitative infectious tests as Positive/Negative text without a value', () => {
    const infectious = new Set(siteTestCodes(SMALL.sites).filter((c) => c.local_unit === null).map((c) => c.local_code));
    const rows = results.filter((r) => infectious.has(r.test_code as string));
    expect(rows.length).toBeGreaterThan(500);
    expect(rows.every((r) => r.result_value === null && r.unit === null)).toBe(true);
    expect(new Set(rows.map((r) => r.result_text))).toEqual(new Set(['Positive', 'Negative', null]));
  });

  it('spreads patients over the regions, each postal code prefix naming its region', () => {
    expect(regionOfPostalCode('10234')).toBe('R01');
    expect(regionOfPostalCode('00999')).toBe('R10');
    expect(regionOfPostalCode('1234A')).toBeNull();
    expect(regionOfPostalCode(null)).toBeNull();
    const regions = new Set(results.map((r) => regionOfPostalCode(r.postal_code as string | null)));
    for (const region of REGIONS) expect(regions.has(region.id), region.id).toBe(true);
    expect(regions.has(null)).toBe(true); // invalid and missing postal codes
  });

  it('corrects results under the same result_id with a later modified_at', () => {
    const corrected = results.filter((r) => r.status === 'corrected');
    expect(corrected.length).toBe(truth.counts.correctedResults);
    expect(corrected.length).toBeGreaterThan(0);
    const originals = new Map(results.filter((r) => r.status === 'final').map((r) => [r.result_id as string, r]));
    for (const row of corrected) {
      const original = originals.get(row.result_id as string);
      expect(original, String(row.result_id)).toBeDefined();
      expect(row.modified_at as number).toBeGreaterThan(original!.modified_at as number);
      expect([row.result_value, row.result_text]).not.toEqual([original!.result_value, original!.result_text]);
    }
  });

  it('contains exact duplicates, late arrivals, unknown codes, implausible values and nulls, all counted', () => {
    const seen = new Set<string>();
    let duplicates = 0;
    for (const row of results) {
      const text = JSON.stringify(row);
      if (seen.has(text)) duplicates++;
      seen.add(text);
    }
    expect(duplicates).toBe(truth.counts.duplicateResults);
    expect(results.filter((r) => UNKNOWN_TEST_CODES.includes(r.test_code as string)).length).toBe(truth.counts.unknownTestCodes);
    expect(results.filter((r) => r.status === 'final' && (r.modified_at as number) - (r.resulted_at as number) >= DAY_MS).length).toBe(truth.counts.lateResults);
    expect(results.filter((r) => typeof r.result_value === 'number' && r.result_value < 0).length).toBeGreaterThan(0);
    expect(results.filter((r) => r.patient_name === null || r.date_of_birth === null || r.sex === null || r.postal_code === null).length)
      .toBe(truth.counts.missingPatientFields);
    for (const count of Object.values(truth.counts)) expect(count).toBeGreaterThan(0);
  });

  it('rejects options it cannot simulate, naming the option', () => {
    expect(() => simulateLab({ ...SMALL, devices: 0 })).toThrow(/devices/);
    expect(() => simulateLab({ ...SMALL, start: '2026-13-45' })).toThrow(/start/);
  });
});
