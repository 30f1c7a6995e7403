import { describe, expect, it } from 'vitest';
import type { Row } from '../sources/schema.js';
import { siteTestCodes } from './catalogue.js';
import { GroundTruthRecorder, regionOfPostalCode, simulateLab, type SimulationOptions } from './index.js';
import { DAY_MS } from '../calendar/days.js';

/** Four months of a mid-sized lab: enough failures, drift episodes and outbreaks to measure. */
const OPTIONS: SimulationOptions = { devices: 60, days: 120, sites: 4, resultsPerDeviceDay: 25, seed: 5, start: '2026-01-01' };
const startMs = Date.parse(`${OPTIONS.start}T00:00:00Z`);
const dayIndex = (epochMs: number): number => Math.floor((epochMs - startMs) / DAY_MS);

/** Per device-day tallies, kept while streaming so the test holds no full tables. */
class DeviceDays {
  readonly logs = new Map<string, Float64Array>();
  readonly errors = new Map<string, Float64Array>();
  readonly qcRuns = new Map<string, Float64Array>();
  readonly qcOutside2Sd = new Map<string, Float64Array>();
  readonly results = new Map<string, Float64Array>();
  readonly turnaroundHours = new Map<string, Float64Array>();

  add(series: Map<string, Float64Array>, device: string, day: number, value = 1): void {
    let values = series.get(device);
    if (!values) series.set(device, (values = new Float64Array(OPTIONS.days)));
    values[day]! += value;
  }
}

const recorder = new GroundTruthRecorder();
const tallies = new DeviceDays();
const events: Row[] = [];
const devices: Row[] = [];
/** QC z-scores per device and local test code: [day, z]. */
const qcZ = new Map<string, [number, number][]>();
/** Positive / all infectious results per test key, region and day. */
const infectious = new Map<string, { positives: Float64Array; tests: Float64Array }>();
const codes = siteTestCodes(OPTIONS.sites);

function simulate(): void {
  const siteOf = new Map<string, string>();
  const testKeyOf = new Map(codes.map((c) => [`${c.site_id}|${c.local_code}`, c]));
  for (const day of simulateLab(OPTIONS, recorder)) {
    for (const device of day.tables.devices) {
      devices.push(device);
      siteOf.set(device.device_id as string, device.site_id as string);
    }
    events.push(...day.tables.maintenance_events);
    for (const log of day.tables.device_logs) {
      const d = dayIndex(log.logged_at as number);
      tallies.add(tallies.logs, log.device_id as string, d);
      if (log.level === 'ERROR') tallies.add(tallies.errors, log.device_id as string, d);
    }
    for (const qc of day.tables.quality_control) {
      if (qc.measured_value === null) continue;
      const z = ((qc.measured_value as number) - (qc.target_mean as number)) / (qc.target_sd as number);
      const d = dayIndex(qc.run_at as number);
      tallies.add(tallies.qcRuns, qc.device_id as string, d);
      if (Math.abs(z) > 2) tallies.add(tallies.qcOutside2Sd, qc.device_id as string, d);
      const key = `${String(qc.device_id)}|${String(qc.test_code)}`;
      qcZ.set(key, [...(qcZ.get(key) ?? []), [d, z]]);
    }
    for (const result of day.tables.lab_results) {
      if (result.status !== 'final') continue;
      const d = dayIndex(result.resulted_at as number);
      tallies.add(tallies.results, result.device_id as string, d);
      tallies.add(tallies.turnaroundHours, result.device_id as string, d, ((result.resulted_at as number) - (result.received_at as number)) / 3_600_000);
      const code = testKeyOf.get(`${siteOf.get(result.device_id as string)}|${String(result.test_code)}`);
      const region = regionOfPostalCode(result.postal_code as string | null);
      if (!code || code.local_unit !== null || !region || result.result_text === null) continue;
      const key = `${code.test_key}|${region}`;
      let series = infectious.get(key);
      if (!series) infectious.set(key, (series = { positives: new Float64Array(OPTIONS.days), tests: new Float64Array(OPTIONS.days) }));
      series.tests[d]! += 1;
      if (result.result_text === 'Positive') series.positives[d]! += 1;
    }
  }
}
simulate();
const truth = recorder.truth;

function sumOver(series: Map<string, Float64Array>, cells: readonly [string, number][]): number {
  return cells.reduce((sum, [device, day]) => sum + (series.get(device)?.[day] ?? 0), 0);
}

describe('device degradation and failures', () => {
  it('records exactly the failure rows of maintenance_events, about 1-3 per device-year', () => {
    const failureIds = new Set(events.filter((e) => e.event_type === 'failure').map((e) => e.event_id));
    expect(new Set(truth.failures.map((f) => f.event_id))).toEqual(failureIds);
    const perDeviceYear = truth.failures.length / ((OPTIONS.devices * OPTIONS.days) / 365);
    expect(perDeviceYear).toBeGreaterThan(0.8);
    expect(perDeviceYear).toBeLessThan(3.5);
  });

  it('follows each failure with a repair that closes it', () => {
    const endMs = startMs + OPTIONS.days * DAY_MS;
    const finished = truth.failures.filter((f) => f.repaired_at < endMs);
    expect(finished.length).toBeGreaterThan(10);
    for (const failure of finished) {
      const repair = events.find((e) => e.event_id === failure.repair_event_id);
      expect(repair, failure.event_id).toMatchObject({ event_type: 'repair', device_id: failure.device_id, ended_at: failure.repaired_at });
      expect(repair!.started_at as number).toBeGreaterThan(failure.started_at);
      const closed = events.find((e) => e.event_id === failure.event_id && e.ended_at !== null);
      expect(closed?.ended_at, failure.event_id).toBe(failure.repaired_at);
    }
  });

  it('shows degraded devices (the week before a failure) with more errors, worse QC and slower results', () => {
    const failureDays = new Map<string, number[]>();
    for (const f of truth.failures) failureDays.set(f.device_id, [...(failureDays.get(f.device_id) ?? []), dayIndex(f.started_at)]);
    const degraded: [string, number][] = [];
    const healthy: [string, number][] = [];
    for (const device of devices) {
      const id = device.device_id as string;
      const failures = failureDays.get(id) ?? [];
      for (let day = 0; day < OPTIONS.days; day++) {
        if (failures.some((f) => f - day >= 1 && f - day <= 7)) degraded.push([id, day]);
        else if (failures.every((f) => Math.abs(f - day) > 30)) healthy.push([id, day]);
      }
    }
    const share = (numerator: Map<string, Float64Array>, denominator: Map<string, Float64Array>, cells: [string, number][]): number =>
      sumOver(numerator, cells) / sumOver(denominator, cells);
    expect(share(tallies.errors, tallies.logs, degraded)).toBeGreaterThan(2 * share(tallies.errors, tallies.logs, healthy));
    expect(share(tallies.qcOutside2Sd, tallies.qcRuns, degraded)).toBeGreaterThan(1.5 * share(tallies.qcOutside2Sd, tallies.qcRuns, healthy));
    expect(share(tallies.turnaroundHours, tallies.results, degraded)).toBeGreaterThan(1.1 * share(tallies.turnaroundHours, tallies.results, healthy));
  });

  it('calibrates and maintains devices on schedule, sometimes late', () => {
    const intervalOf = new Map(devices.map((d) => [d.device_id as string, d.calibration_interval_days as number]));
    const calibrations = new Map<string, number[]>();
    for (const e of events.filter((e) => e.event_type === 'calibration')) {
      calibrations.set(e.device_id as string, [...(calibrations.get(e.device_id as string) ?? []), dayIndex(e.started_at as number)]);
    }
    expect(calibrations.size).toBe(OPTIONS.devices);
    const gaps = [...calibrations].flatMap(([device, days]) => days.sort((a, b) => a - b).slice(1).map((day, i) => day - days[i]! - intervalOf.get(device)!));
    expect(gaps.filter((overdue) => overdue > 3).length).toBeGreaterThan(0);
    expect(gaps.filter((overdue) => overdue <= 0).length).toBeGreaterThan(gaps.length / 3);
    expect(events.some((e) => e.event_type === 'preventive' && (e.started_at as number) >= startMs)).toBe(true);
  });
});

describe('calibration drift', () => {
  it('shifts the drifting test QC by about shift_sd from its start until the next calibration', () => {
    const measurable = truth.driftEpisodes.filter((e) => {
      const start = dayIndex(Date.parse(`${e.start_day}T00:00:00Z`));
      const end = e.end_day ? dayIndex(Date.parse(`${e.end_day}T00:00:00Z`)) : OPTIONS.days;
      return end - start >= 5 && start >= 5;
    });
    expect(measurable.length).toBeGreaterThan(3);
    for (const episode of measurable) {
      const start = dayIndex(Date.parse(`${episode.start_day}T00:00:00Z`));
      const end = episode.end_day ? dayIndex(Date.parse(`${episode.end_day}T00:00:00Z`)) : OPTIONS.days;
      const runs = qcZ.get(`${episode.device_id}|${episode.test_code}`) ?? [];
      const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
      const during = mean(runs.filter(([d]) => d >= start && d < end).map(([, z]) => z));
      const before = mean(runs.filter(([d]) => d < start && d >= start - 14).map(([, z]) => z));
      expect(Math.sign(during - before), episode.episode_id).toBe(Math.sign(episode.shift_sd));
      expect(Math.abs(during - before - episode.shift_sd), episode.episode_id).toBeLessThan(1.2);
    }
  });
});

describe('infectious disease', () => {
  const rate = (values: Float64Array, from: number, to: number): number => values.slice(from, to).reduce((a, b) => a + b, 0) / (to - from);

  it('raises positives in the outbreak region above its level before the outbreak', () => {
    expect(truth.outbreaks.length).toBe(1 + Math.floor(OPTIONS.days / 40));
    for (const outbreak of truth.outbreaks) {
      expect(outbreak.extra_tests, outbreak.outbreak_id).toBeGreaterThan(0);
      const series = infectious.get(`${outbreak.test_key}|${outbreak.region_id}`)!;
      const start = dayIndex(Date.parse(`${outbreak.start_day}T00:00:00Z`));
      const end = Math.min(OPTIONS.days, dayIndex(Date.parse(`${outbreak.end_day}T00:00:00Z`)) + 1);
      expect(rate(series.positives, start, end), outbreak.outbreak_id).toBeGreaterThan(1.3 * rate(series.positives, 0, start));
    }
  });

  it('has a winter influenza season: January positivity above April', () => {
    const outbreakRegions = new Set(truth.outbreaks.filter((o) => o.test_key === 'influenza_a').map((o) => o.region_id));
    const flu = [...infectious].filter(([key]) => key.startsWith('influenza_a|') && !outbreakRegions.has(key.split('|')[1]!));
    const positivity = (from: number, to: number): number =>
      flu.reduce((sum, [, s]) => sum + rate(s.positives, from, to), 0) / flu.reduce((sum, [, s]) => sum + rate(s.tests, from, to), 0);
    expect(positivity(0, 31)).toBeGreaterThan(1.5 * positivity(90, 120));
  });
});
