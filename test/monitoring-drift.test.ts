import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFunction, type TimerFunction } from '../lib/app/catalog.js';
import { createAppContext, type AppContext } from '../lib/app/context.js';
import { loadConfig } from '../lib/config/config.js';
import { computeDriftReport, readQc, runDriftReport, type DriftWindows } from '../lib/drift/job.js';
import { QC_COLUMNS, westgardByDeviceTest } from '../lib/drift/qc.js';
import { buildDriftReport, DEFAULT_DRIFT_OPTIONS, leaveOneOutPeers, peerEquivalentZ, type DriftReport } from '../lib/drift/report.js';
import { deviceAnalyteColumns, type DaySummary } from '../lib/pipeline/analyteDays.js';
import { Rng } from '../lib/simulate/random.js';
import { peerZ } from '../lib/monitoring/calibration.js';
import { qnorm, studentTTwoSided } from '../lib/monitoring/distributions.js';
import { ANALYTE_DAILY } from '../lib/pipeline/goldTables.js';
import { FEATURE_NAMES } from '../lib/features/deviceFeatures.js';
import { DEVICE_FEATURES } from '../lib/pipeline/goldTables.js';
import { SILVER_TABLES } from '../lib/pipeline/silverTables.js';
import type { EmbeddedAzurite } from '../lib/platform/azurite.js';
import { CONTAINERS, TABLES } from '../lib/platform/resources.js';
import type { Row } from '../lib/sources/schema.js';
import { startTestStorage } from './support/storage.js';
import { dateRange } from '../lib/calendar/days.js';
import { encodeKeyedFile } from '../lib/lake/lake.js';

/**
 * The drift report over a small lake written here: 6 devices x 2 analytes for 28 baseline and
 * 7 current days, where DEV03's glucose is shifted in the current window, three device features
 * move, and one QC run of DEV02 is beyond 3 SD. Real Azurite, real Parquet partitions.
 */
let azurite: EmbeddedAzurite;
let ctx: AppContext;

const START = Date.UTC(2026, 2, 1);
const DAY = 86_400_000;
const day = (i: number) => new Date(START + i * DAY).toISOString().slice(0, 10);
const DEVICES = ['DEV01', 'DEV02', 'DEV03', 'DEV04', 'DEV05', 'DEV06'];
const GLUCOSE = '2345-7';
const SODIUM = '2951-2';
const WINDOWS: DriftWindows = { baseline: { start: day(0), end: day(27) }, current: { start: day(28), end: day(34) } };

/** Deterministic standard normals (an LCG through Box-Muller). */
function normals(seed: number): () => number {
  let s = Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
  const u = () => {
    // xorshift32: neighbouring seeds give unrelated sequences.
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  for (let i = 0; i < 8; i++) u();
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

function resultRows(i: number, glucoseShift: (device: string, i: number) => number): Row[] {
  const z = normals(1000 + i);
  const rows: Row[] = [];
  for (const device of DEVICES) {
    for (let k = 0; k < 20; k++) {
      rows.push({ result_id: `${device}-${i}-g${k}`, device_id: device, loinc_code: GLUCOSE, result_value: 100 + glucoseShift(device, i) + 10 * z() });
      rows.push({ result_id: `${device}-${i}-n${k}`, device_id: device, loinc_code: SODIUM, result_value: 140 + 2 * z() });
    }
  }
  return rows;
}

const shifted = (device: string, i: number) => (device === 'DEV03' && i >= 28 ? 9 : 0);

async function writeLake(): Promise<void> {
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < 35; i++) {
    writes.push(ctx.lake.writePartition(SILVER_TABLES.lab_results, { result_date: day(i) }, 'test', resultRows(i, shifted)));
    const z = normals(5000 + i);
    const qc: Row[] = [];
    for (const device of DEVICES) {
      for (const level of [1, 2]) {
        const beyond = device === 'DEV02' && i === 30 && level === 1;
        const value = beyond ? 3.6 : Math.max(-1.5, Math.min(1.5, z() * 0.5));
        qc.push({ qc_id: `Q${device}${i}${level}`, device_id: device, test_code: 'GLU', loinc_code: GLUCOSE, control_level: level, measured_value: 100 * level + value * 2, target_mean: 100 * level, target_sd: 2, run_at: START + i * DAY + 6 * 3_600_000 + level * 60_000 });
      }
    }
    writes.push(ctx.lake.writePartition(SILVER_TABLES.quality_control, { run_date: day(i) }, 'test', qc));
    const f = normals(9000 + i);
    const features: Row[] = DEVICES.map((device) => {
      const row: Row = { device_id: device, failure_within_7d: 0, label_observed: 1 };
      for (const name of FEATURE_NAMES) row[name] = 1 + 0.1 * f();
      if (i >= 28) for (const name of ['error_rate_7d', 'warning_rate_7d', 'avg_turnaround_time_7d']) row[name] = (row[name] as number) + 1;
      return row;
    });
    writes.push(ctx.lake.writePartition(DEVICE_FEATURES, { feature_date: day(i), shard: '00' }, 'test', features));
  }
  await Promise.all(writes);
}

async function alertRows(): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for await (const e of ctx.storage.table(TABLES.alerts).listEntities()) rows.push(e);
  return rows;
}

beforeAll(async () => {
  const started = await startTestStorage();
  azurite = started.azurite;
  ctx = createAppContext(loadConfig({}), started.storage);
  await writeLake();
});
afterAll(async () => {
  await ctx.close();
  await azurite.stop();
});

describe('drift report over the lake', () => {
  let report: DriftReport;

  it('finds the shifted device, the drifting features and the QC rejection, stores the report and records alert events', async () => {
    const run = await runDriftReport(ctx, WINDOWS, 'record');
    report = run.report;
    expect(run.location).toBe(`reports/drift/${day(34)}.json`);
    expect(report.alert_level).toBe('CRITICAL');
    expect(report.summary.devices_with_drift).toBe(1);
    expect(report.summary.devices_checked).toBe(6);
    expect(report.summary.device_analytes_checked).toBe(12);
    const critical = report.calibration.filter((c) => c.level === 'CRITICAL');
    expect(critical.map((c) => `${c.device_id}/${c.loinc_code}`)).toEqual([`DEV03/${GLUCOSE}`]);
    expect(critical[0]!.self_z!).toBeGreaterThan(3);
    expect(critical[0]!.peer_z!).toBeGreaterThan(2);
    expect(critical[0]!.peer_z_raw!).toBeGreaterThan(critical[0]!.peer_z!);
    expect(critical[0]!.moving_average_alarm).toBe(true);
    expect(critical[0]!.analyte).toBe('Glucose');

    // Data drift: the three moved features, nothing else; 10 features + 2 analytes tested, BH corrected.
    expect(report.data_drift).toHaveLength(FEATURE_NAMES.length + 2);
    expect([...report.summary.drifted_features].sort()).toEqual(['avg_turnaround_time_7d', 'error_rate_7d', 'warning_rate_7d']);
    // One device in six 0.9 SD off moves the lab's glucose distribution as well.
    expect(report.summary.drifted_analytes).toEqual(['Glucose']);
    expect(report.summary.data_drift_tests).toBe(4);
    for (const t of report.data_drift) {
      expect(t.ks_pvalue_adjusted).toBeGreaterThanOrEqual(t.ks_pvalue);
      if (t.kind === 'feature' && t.drift) expect(t.psi, t.name).toBeGreaterThan(1);
    }
    expect(report.data_drift.find((t) => t.name === GLUCOSE)).toMatchObject({ kind: 'analyte', n_baseline: 28 * 6 * 20, n_current: 7 * 6 * 20 });

    expect(report.qc).toEqual([expect.objectContaining({ device_id: 'DEV02', test_code: 'GLU', day: day(30), rules: ['1-2s', '1-3s'] })]);
    expect(report.summary.qc_runs).toBe(7 * 6);

    // The stored report reads as the seed's example reads it.
    const blob = await ctx.storage.container(CONTAINERS.reports).getBlobClient(`drift/${day(34)}.json`).downloadToBuffer();
    const stored = JSON.parse(blob.toString('utf8')) as { alert_level: string; summary: { devices_with_drift: number } };
    expect(stored.alert_level).toBe('CRITICAL');
    expect(stored.summary.devices_with_drift).toBe(1);

    const alerts = await alertRows();
    expect(alerts.map((a) => `${a.kind} ${a.severity} ${a.subject}`).sort()).toEqual([`calibration_drift CRITICAL DEV03/${GLUCOSE}`, 'data_drift MEDIUM lab']);
    const calibration = alerts.find((a) => a.kind === 'calibration_drift')!;
    expect(calibration).toMatchObject({ day: day(34), recordedAt: expect.any(String) });
    expect(JSON.parse(String(calibration.details))).toMatchObject({ device: 'DEV03', analyte: GLUCOSE, threshold: 3 });
  });

  it('wrote daily summaries once and reads them back to the same report', async () => {
    expect((await ctx.lake.listPartitions(ANALYTE_DAILY)).length).toBe(35);
    const again = await computeDriftReport(ctx, WINDOWS);
    expect(again.summary).toEqual(report.summary);
    expect(again.calibration).toEqual(report.calibration);
  });

  it('rebuilds a day summary when its silver partition changes', async () => {
    // DEV03 recalibrated: the current days now read unshifted.
    await Promise.all(Array.from({ length: 7 }, (_, k) => ctx.lake.writePartition(SILVER_TABLES.lab_results, { result_date: day(28 + k) }, 'test', resultRows(28 + k, () => 0))));
    const fixed = await computeDriftReport(ctx, WINDOWS);
    expect(fixed.summary.devices_with_drift).toBe(0);
    expect(fixed.summary.drifted_analytes).toEqual([]);
    expect(fixed.alert_level).toBe('MEDIUM');
  });

  it('other windows are stored beside the daily series, not over it', async () => {
    const w = { baseline: { start: day(0), end: day(20) }, current: { start: day(21), end: day(34) } };
    const run = await runDriftReport(ctx, w, 'none');
    expect(run.location).toBe(`reports/drift/custom/${day(0)}_${day(20)}_${day(21)}_${day(34)}.json`);
    expect(run.alerts).toBe(0);
  });

  it('a window without drift is not an alert', async () => {
    const quiet = await computeDriftReport(ctx, { baseline: { start: day(0), end: day(13) }, current: { start: day(14), end: day(20) } });
    expect(quiet.summary.devices_with_drift).toBe(0);
    expect(quiet.summary.data_drift_tests).toBe(0);
    expect(quiet.qc).toEqual([]);
    expect(['NONE', 'LOW']).toContain(quiet.alert_level);
  });

  it('the daily timer reports the latest days against the configured baseline', async () => {
    await ctx.horizon.advanceTo(day(34));
    const timer = findFunction('driftReportDaily') as TimerFunction;
    expect(timer.trigger).toEqual({ kind: 'timer', scheduleSetting: 'DRIFT_SCHEDULE' });
    await timer.handler(ctx);
    const blob = await ctx.storage.container(CONTAINERS.reports).getBlobClient(`drift/${day(34)}.json`).downloadToBuffer();
    const stored = JSON.parse(blob.toString('utf8')) as DriftReport;
    expect(stored.baseline).toEqual({ start: day(0), end: day(27), days: 28 });
    expect(stored.current).toEqual({ start: day(28), end: day(34), days: 7 });
    // DEV03 was recalibrated (previous test): the features still drift.
    expect(stored.alert_level).toBe('MEDIUM');
    expect(stored.summary.devices_with_drift).toBe(0);
  });
});

describe('peer comparison', () => {
  it('leave-one-out peer statistics equal peerZ against every other device', () => {
    const z = normals(77);
    const means = Array.from({ length: 40 }, () => 1000 + 5 * z());
    const fast = leaveOneOutPeers(means);
    means.forEach((m, i) => {
      const slow = peerZ(m, means.filter((_, j) => j !== i))!;
      expect(fast[i]!.peers).toBe(slow.peers);
      expect(fast[i]!.z).toBeCloseTo(slow.z, 10);
      expect(fast[i]!.peerMean).toBeCloseTo(slow.peerMean, 9);
      expect(fast[i]!.peerSd).toBeCloseTo(slow.peerSd, 10);
    });
    expect(leaveOneOutPeers([1, 2, 3])).toEqual([null, null, null]);
    expect(leaveOneOutPeers([5, 5, 5, 5])).toEqual([null, null, null, null]);
  });

  it('the peer z is put on the normal scale of the |z| > 3 rule: same two-sided p as the prediction-interval t', () => {
    // 5 peers: a raw ratio of 4 is t = 4 / sqrt(1.2) with 4 df.
    const p = studentTTwoSided(4 / Math.sqrt(1.2), 4);
    expect(peerEquivalentZ(4, 5)).toBeCloseTo(qnorm(p / 2, 0, 1, false), 12);
    expect(peerEquivalentZ(4, 5)).toBeLessThan(3);
    expect(peerEquivalentZ(-4, 5)).toBeCloseTo(-peerEquivalentZ(4, 5), 12);
    // Many peers: nearly the raw ratio.
    expect(Math.abs(peerEquivalentZ(3.5, 2000) - 3.5)).toBeLessThan(0.01);
    // Under no drift, about 0.27% beyond 3 whatever the number of peers (t with k - 1 df).
    for (const peers of [3, 5, 10]) {
      const rawAtThreshold = (t: number) => t * Math.sqrt(1 + 1 / peers);
      let lo = 0;
      let hi = 100;
      for (let i = 0; i < 200; i++) {
        const mid = (lo + hi) / 2;
        if (peerEquivalentZ(rawAtThreshold(mid), peers) > 3) hi = mid;
        else lo = mid;
      }
      expect(studentTTwoSided(lo, peers - 1)).toBeCloseTo(0.0026998, 6);
    }
  });
});

describe('QC read column by column', () => {
  it('equals Westgard over the rows the lake reads, also where rows were superseded; reporting from a day equals the full evaluation on its runs', async () => {
    // Two more days of QC, then a correction of one measurement: the lake marks the old row superseded.
    const qcRow = (i: number, device: string, level: number, value: number, modified: number): Row => ({
      qc_id: `Q${device}${i}${level}`, device_id: device, test_code: 'GLU', loinc_code: GLUCOSE, control_level: level, measured_value: 100 * level + 2 * value,
      target_mean: 100 * level, target_sd: 2, run_at: START + i * DAY + 6 * 3_600_000 + level * 60_000, modified_at: modified,
    });
    for (const i of [35, 36]) await ctx.lake.writePartition(SILVER_TABLES.quality_control, { run_date: day(i) }, 'test', DEVICES.flatMap((d) => [qcRow(i, d, 1, 0.5, START), qcRow(i, d, 2, -0.5, START)]));
    await ctx.lake.upsertPartition(SILVER_TABLES.quality_control, { run_date: day(36) }, 'correction', encodeKeyedFile(SILVER_TABLES.quality_control, [qcRow(36, 'DEV04', 1, -3.5, START + DAY)], 'qc_id'), 'qc_id');
    const manifest = await ctx.lake.readManifest(SILVER_TABLES.quality_control, { run_date: day(36) });
    expect(manifest!.files.some((f) => (f.deletedRows?.length ?? 0) > 0)).toBe(true);

    const rows = (await Promise.all(dateRange(day(18), day(36)).map((d) => ctx.lake.readRows(SILVER_TABLES.quality_control, { run_date: d }, QC_COLUMNS)))).flat();
    const full = westgardByDeviceTest(rows);
    expect(await readQc(ctx, day(18), day(36))).toEqual(full);
    const corrected = full.find((s) => s.device === 'DEV04')!.runs.find((r) => r.day === day(36))!;
    expect(corrected.result.r13s).toBe(true);

    const recent = await readQc(ctx, day(18), day(36), day(28));
    expect(recent).toEqual(full.map((s) => ({ ...s, runs: s.runs.filter((r) => r.day >= day(28)) })));
    expect(recent.flatMap((s) => s.runs)).toHaveLength(DEVICES.length * 9);
  });
});

describe('calibration CRITICAL with multiplicity control', () => {
  it('among 2,000 null devices and 5 shifted ones, the shifted are CRITICAL and every null |z| > 3 is WARNING', () => {
    // One analyte, 20 results a day of SD 10; devices 0-4 read 8 units high in the current week.
    const rng = new Rng(17, 4);
    const devices = Array.from({ length: 2005 }, (_, d) => `D${String(d).padStart(4, '0')}`);
    const shifted = new Set(devices.slice(0, 5));
    const summaries = (days: number, first: number, current: boolean): DaySummary[] =>
      Array.from({ length: days }, (_, i) => ({
        date: day(first + i),
        deviceAnalytes: deviceAnalyteColumns(devices.map((device) => ({ device, loinc: GLUCOSE, n: 20, mean: 100 + (current && shifted.has(device) ? 8 : 0) + (10 / Math.sqrt(20)) * rng.normal(), sd: 10 }))),
        samples: new Map(),
      }));
    const report = buildDriftReport({ ...WINDOWS, features: new Map(), baselineDays: summaries(28, 0, false), currentDays: summaries(7, 28, true), qc: [] });
    const levelOf = new Map(report.calibration.map((c) => [c.device_id, c]));
    for (const device of shifted) expect(levelOf.get(device)?.level, device).toBe('CRITICAL');
    const nullBeyond3 = report.calibration.filter((c) => !shifted.has(c.device_id) && Math.max(Math.abs(c.self_z ?? 0), Math.abs(c.peer_z ?? 0)) > 3);
    expect(nullBeyond3.length).toBeGreaterThan(0);
    for (const c of nullBeyond3) {
      expect(c.level).toBe('WARNING');
      expect(Math.min(c.self_p_adjusted ?? 1, c.peer_p_adjusted ?? 1)).toBeGreaterThanOrEqual(DEFAULT_DRIFT_OPTIONS.criticalFdr);
    }
    expect(report.summary.devices_with_drift).toBe(5);
    expect(report.summary.device_analytes_warning).toBeGreaterThanOrEqual(nullBeyond3.length);
    expect(report.alert_level).toBe('CRITICAL');
    expect(report.thresholds.critical_fdr).toBe(0.05);
    expect(report.thresholds.critical_rule).toContain('Benjamini-Hochberg');
    // Without the correction (FDR 1) the same null devices would have been CRITICAL.
    const uncorrected = buildDriftReport(
      { ...WINDOWS, features: new Map(), baselineDays: summaries(28, 0, false), currentDays: summaries(7, 28, true), qc: [] },
      { ...DEFAULT_DRIFT_OPTIONS, criticalFdr: 1 },
    );
    expect(uncorrected.summary.devices_with_drift).toBeGreaterThan(5);
  });
});
