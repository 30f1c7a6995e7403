import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QcSeries } from '../lib/drift/qc.js';
import { westgardByDeviceTest } from '../lib/drift/qc.js';
import { deviceAnalyteColumns, type DaySummary } from '../lib/pipeline/analyteDays.js';
import { evaluateCalibrationDetection } from '../lib/evaluation/calibration.js';
import { evaluate } from '../lib/evaluation/evaluate.js';
import { driftReportDaily } from '../lib/drift/job.js';
import { detectOutbreaks } from '../lib/outbreaks/job.js';
import { OUTBREAK_SERIES } from '../lib/pipeline/goldTables.js';
import { CONTAINERS, TABLES } from '../lib/platform/resources.js';
import type { DriftTruth } from '../lib/simulate/truth.js';
import { runSimulatedPipeline, SMALL_LAB, type PipelineFixture } from './support/pipeline.js';

const date = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);

describe('calibration-drift evaluation against drift episodes', () => {
  const DAYS = 70;
  const DEVICES = ['D1', 'D2', 'D3', 'D4', 'D5', 'D6'];
  const LOINC = '2345-7';
  // Day-to-day means wobble a little (deterministically); D1 reads 12 units high from day 50 until its calibration on day 60.
  const wobble = (d: number, k: number) => 0.4 * Math.sin(d * 1.7 + k * 2.3);
  const days: DaySummary[] = Array.from({ length: DAYS }, (_, d) => ({
    date: date(d),
    deviceAnalytes: deviceAnalyteColumns(DEVICES.map((device, k) => ({ device, loinc: LOINC, n: 40, mean: 100 + wobble(d, k) + (device === 'D1' && d >= 50 && d < 60 ? 12 : 0), sd: 10 }))),
    samples: new Map(),
  }));
  // QC: one level a day; D1's control reads 3.5 SD high on day 51 (the day after the shift started), else near target.
  const qc: QcSeries[] = westgardByDeviceTest(
    DEVICES.flatMap((device, k) =>
      Array.from({ length: DAYS }, (_, d) => ({
        device_id: device,
        test_code: 'GLU',
        loinc_code: LOINC,
        control_level: 1,
        measured_value: 100 + 2 * (device === 'D1' && d === 51 ? 3.5 : 0.6 * Math.sin(d * 0.9 + k)),
        target_mean: 100,
        target_sd: 2,
        run_at: Date.UTC(2026, 0, 1) + d * 86_400_000 + 6 * 3_600_000,
      })),
    ),
  );
  const episode: DriftTruth = { episode_id: 'DR1', device_id: 'D1', site_id: 'S', test_key: 'glucose', loinc: LOINC, test_code: 'GLU', shift_sd: 1.2, start_day: date(50), end_day: date(60) };

  it('finds the episode per method with its delay, and counts no false alarm on steady devices', () => {
    const e = evaluateCalibrationDetection({ days, qc, episodes: [episode], baselineDays: 28, currentDays: 7 });
    expect(e.from).toBe(date(34));
    expect(e.episodes).toBe(1);
    const by = Object.fromEntries(e.scores.map((s) => [s.method, s]));
    expect(by.westgard).toMatchObject({ detected: 1, medianDelayDays: 1, within3Days: 1, smallShiftEpisodes: 1, smallShiftWithin3Days: 1, falseAlarmDays: 0 });
    expect(by.z_score!.detected).toBe(1);
    expect(by.moving_average!.detected).toBe(1);
    expect(by.moving_average!.medianDelayDays!).toBeLessThanOrEqual(by.z_score!.medianDelayDays!);
    expect(by.z_score!.falseAlarmDays).toBe(0);
    expect(by.moving_average!.falseAlarmDays).toBe(0);
    // Judged pair-days: 6 devices x 36 days (34..69).
    expect(by.z_score!.pairYears).toBeCloseTo((6 * 36) / 365, 10);
  });

  it('alarms after the episode ended and its window moved on are false alarms', () => {
    const late = evaluateCalibrationDetection({ days, qc, episodes: [{ ...episode, end_day: date(52) }], baselineDays: 28, currentDays: 7 });
    const z = late.scores.find((s) => s.method === 'z_score')!;
    expect(z.falseAlarmDays).toBeGreaterThan(0);
  });
});

describe('monitoring and evaluation on a simulated lab taken through the pipeline', () => {
  let fixture: PipelineFixture;
  beforeAll(async () => {
    fixture = await runSimulatedPipeline(SMALL_LAB);
  }, 300_000);
  afterAll(async () => fixture?.close());

  it('the daily drift report and outbreak detection run on what the pipeline wrote', async () => {
    const { ctx } = fixture;
    const drift = await driftReportDaily(ctx);
    expect(drift).toBeDefined();
    const latest = await ctx.horizon.latestDay();
    expect(drift!.report.day).toBe(latest);
    expect(drift!.report.summary.devices_checked).toBeGreaterThan(0);
    expect(drift!.report.data_drift.filter((t) => t.kind === 'feature')).toHaveLength(10);
    const blob = await ctx.storage.container(CONTAINERS.reports).getBlobClient(`drift/${latest}.json`).exists();
    expect(blob).toBe(true);

    const outbreaks = await detectOutbreaks(ctx);
    const goldRows = await ctx.lake.readRows(OUTBREAK_SERIES, { series_date: latest! });
    const tests = new Set(goldRows.map((r) => r.loinc_code));
    expect(outbreaks!.signals.length).toBe(new Set(goldRows.map((r) => `${r.loinc_code}|${r.region}`)).size + tests.size);
    const stored: string[] = [];
    for await (const e of ctx.storage.table(TABLES.outbreakSignals).listEntities({ queryOptions: { filter: `PartitionKey eq '${latest}'` } })) stored.push(String(e.rowKey));
    expect(stored.sort()).toEqual(outbreaks!.signals.map((s) => `${s.loinc}|${s.region}`).sort());
  });

  it('evaluate scores every method against the lab ground truth', async () => {
    const { ctx, truth } = fixture;
    const result = await evaluate(ctx, { truth, history: false });
    const lab = result.lab;
    expect(lab.available).toBe(true);
    const o = lab.outbreaks!;
    const from = o.from;
    expect(o.outbreaks).toBe(truth.outbreaks.filter((x) => x.start_day >= from && x.start_day <= o.to).length);
    expect(o.scores.map((s) => s.method)).toEqual(['ears_c1', 'ears_c2', 'ears_c3', 'cusum', 'farrington', 'positivity_wow', 'positivity_seasonal', 'scan', 'alert_rule', 'manual_review']);
    expect(o.scores.find((s) => s.method === 'farrington')!.ran).toBe(false);
    const c = lab.calibration!;
    expect(c.scores.map((s) => s.method)).toEqual(['z_score', 'moving_average', 'westgard']);
    expect(c.episodes).toBe(truth.driftEpisodes.filter((e) => e.start_day >= c.from).length);
    expect(result.model).toBeNull();
  });
});
