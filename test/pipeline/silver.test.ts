import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../../lib/app/context.js';
import { loadConfig } from '../../lib/config/config.js';
import { Lake, type LakeTable, type PartitionValues } from '../../lib/lake/lake.js';
import type { BronzeCommit } from '../../lib/pipeline/bronze.js';
import { silverForBronzeUnit, type SilverChange, type SilverDeps } from '../../lib/pipeline/silver.js';
import type { EmbeddedAzurite } from '../../lib/platform/azurite.js';
import { TEST_CATALOGUE, localTest, siteIdOf } from '../../lib/simulate/index.js';
import { LIMS_TABLES, type LimsTableName, type Row } from '../../lib/sources/schema.js';
import { startTestStorage } from '../support/storage.js';

/**
 * Silver on small hand-made bronze units: bronze rows are committed to the lake as a bronze
 * unit would be, then silverForBronzeUnit standardizes them; the assertions read the silver and
 * quarantine partitions back from the lake (Azurite) and the DQ report store (Table storage).
 */

const HOUR = 3_600_000;
const DAY = 86_400_000;

let azurite: EmbeddedAzurite;
let ctx: AppContext;
let deps: SilverDeps;
const work = mkdtempSync(path.join(tmpdir(), 'lims-silver-'));

const glucose = TEST_CATALOGUE.find((t) => t.key === 'glucose')!;
/** What site 1 and site 2 of the simulator call glucose: mg/dL at one, mmol/L at the other. */
const glucoseAtSite1 = localTest(glucose, 0);
const glucoseAtSite2 = localTest(glucose, 1);

const bronze = (name: LimsTableName): LakeTable => ({ zone: 'bronze', name, columns: LIMS_TABLES[name].columns });
const silver = (name: LimsTableName): Pick<LakeTable, 'zone' | 'name'> => ({ zone: 'silver', name });
const quarantine = (name: LimsTableName): Pick<LakeTable, 'zone' | 'name'> => ({ zone: 'quarantine', name });

/** Commits `rows` as one bronze unit (what ingestTable does for a page) and returns its commit. */
async function commitBronze(table: LimsTableName, unit: string, rows: readonly Row[], ingestDate = '2025-06-30'): Promise<BronzeCommit> {
  const partition = { ingest_date: ingestDate };
  await ctx.lake.writePartition(bronze(table), partition, unit, rows, 'append');
  return { table, partition, unit, rows: rows.length };
}

async function rowsOf(table: Pick<LakeTable, 'zone' | 'name'>, partition: PartitionValues): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const batch of ctx.lake.readPartition(table, partition)) rows.push(...batch);
  return rows;
}

function device(id: string, siteIndex: number): Row {
  return {
    device_id: id, model: 'Analyzer 9000', manufacturer: 'Acme', site_id: siteIdOf(siteIndex),
    installed_at: Date.parse('2024-01-15T09:00:00Z'), calibration_interval_days: 30, maintenance_interval_days: 90,
    modified_at: Date.parse('2025-01-01T00:00:00Z'),
  };
}

/** A bronze lab result: glucose at site 1 on `day` unless overridden. */
function result(id: string, day: string, overrides: Partial<Row> = {}): Row {
  const received = Date.parse(`${day}T08:00:00Z`);
  return {
    result_id: id, sample_id: id.split('-')[0]!, patient_id: 'P0000042', patient_name: 'Anna Muller',
    date_of_birth: Date.parse('1960-05-17T00:00:00Z'), sex: 'F', postal_code: '12345',
    device_id: 'DEV-A', test_code: glucoseAtSite1.code, test_name: glucoseAtSite1.name,
    result_value: 90, result_text: null, unit: glucoseAtSite1.unit!.unit,
    reference_low: glucoseAtSite1.referenceLow, reference_high: glucoseAtSite1.referenceHigh, abnormal_flag: 'N',
    received_at: received, resulted_at: received + HOUR, status: 'final', modified_at: received + HOUR + 1000,
    ...overrides,
  };
}

beforeAll(async () => {
  const started = await startTestStorage();
  azurite = started.azurite;
  ctx = createAppContext(loadConfig({}), started.storage, work);
  deps = { lake: ctx.lake, ledger: ctx.ledger, dqReports: ctx.dqReports, prepare: (input) => ctx.compute().silver(input), horizon: ctx.horizon };
  // DEV-A at the simulator's site 1 (conventional units), DEV-B at site 2 (SI units).
  await silverForBronzeUnit(deps, await commitBronze('devices', 'devices-0', [device('DEV-A', 0), device('DEV-B', 1)]));
});

afterAll(async () => {
  await ctx.close();
  await azurite.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('silver lab_results', () => {
  it('keeps only the latest version of a corrected result, within one bronze unit and across units in any arrival order', async () => {
    const day = '2025-06-02';
    const original = result('S100-1', day, { result_value: 90 });
    const corrected = { ...original, result_value: 120, abnormal_flag: 'H', status: 'corrected', modified_at: (original.modified_at as number) + 5 * HOUR };
    const untouched = result('S101-1', day, { result_value: 80 });

    // Original and correction in the same unit.
    await silverForBronzeUnit(deps, await commitBronze('lab_results', 'lab-a', [original, untouched, corrected]));
    let rows = await rowsOf(silver('lab_results'), { result_date: day });
    expect(rows.map((r) => [r.result_id, r.result_value, r.status]).sort()).toEqual([['S100-1', 120, 'corrected'], ['S101-1', 80, 'final']]);

    // The original first, its correction in a later bronze unit.
    const later = result('S102-1', day, { result_value: 70 });
    const laterCorrected = { ...later, result_value: 75, status: 'corrected', modified_at: (later.modified_at as number) + 2 * DAY };
    await silverForBronzeUnit(deps, await commitBronze('lab_results', 'lab-b', [later]));
    rows = await rowsOf(silver('lab_results'), { result_date: day });
    expect(rows.find((r) => r.result_id === 'S102-1')).toMatchObject({ result_value: 70, status: 'final' });
    await silverForBronzeUnit(deps, await commitBronze('lab_results', 'lab-c', [laterCorrected], '2025-07-01'));
    rows = await rowsOf(silver('lab_results'), { result_date: day });
    expect(rows.filter((r) => r.result_id === 'S102-1')).toEqual([expect.objectContaining({ result_value: 75, status: 'corrected' })]);

    // A stale version arriving after its correction (a backfill re-pull) does not win: modified_at decides, not arrival.
    await silverForBronzeUnit(deps, await commitBronze('lab_results', 'lab-d', [later, original], '2025-07-02'));
    rows = await rowsOf(silver('lab_results'), { result_date: day });
    expect(rows.map((r) => [r.result_id, r.result_value]).sort()).toEqual([['S100-1', 120], ['S101-1', 80], ['S102-1', 75]]);
  });

  it('brings glucose in mg/dL at one site and mmol/L at another to the same LOINC code, canonical unit and value', async () => {
    expect(glucoseAtSite1.unit!.unit).toBe('mg/dL');
    expect(glucoseAtSite2.unit!.unit).toBe('mmol/L');
    const day = '2025-06-03';
    const asMgDl = result('S200-1', day, { device_id: 'DEV-A', test_code: glucoseAtSite1.code, unit: 'mg/dL', result_value: 90 });
    // 5.0 mmol/L x 18.016 (mg/dL per mmol/L, molar mass 180.16 g/mol) = 90.08 mg/dL, reported with 0 decimals.
    const asMmolL = result('S201-1', day, {
      device_id: 'DEV-B', test_code: glucoseAtSite2.code, test_name: glucoseAtSite2.name, unit: 'mmol/L', result_value: 5.0,
      reference_low: glucoseAtSite2.referenceLow, reference_high: glucoseAtSite2.referenceHigh,
    });
    const outcome = await silverForBronzeUnit(deps, await commitBronze('lab_results', 'lab-units', [asMgDl, asMmolL]));
    expect(outcome).toMatchObject({ rowsIn: 2, rowsOut: 2, quarantined: 0 });

    const rows = await rowsOf(silver('lab_results'), { result_date: day });
    const a = rows.find((r) => r.result_id === 'S200-1')!;
    const b = rows.find((r) => r.result_id === 'S201-1')!;
    expect(a).toMatchObject({ loinc_code: '2345-7', unit: 'mg/dL', result_value: 90, reported_value: 90, reported_unit: 'mg/dL', site_id: siteIdOf(0) });
    expect(b).toMatchObject({ loinc_code: '2345-7', unit: 'mg/dL', result_value: 90, reported_value: 5, reported_unit: 'mmol/L', site_id: siteIdOf(1) });
    expect(b.loinc_name).toBe(a.loinc_name);
    // Reference limits follow the value into the canonical unit.
    expect(b.reference_low as number).toBeCloseTo(glucose.referenceLow!, -1);
    expect(b.reference_high as number).toBeCloseTo(glucose.referenceHigh!, -1);
  });

  it('quarantines failing rows with the names of the rules they broke, and the DQ report counts them per rule', async () => {
    const day = '2025-06-04';
    const reportedBefore = new Date();
    const good = result('S300-1', day);
    const unmapped = result('S301-1', day, { test_code: 'ZZ-MANUAL', test_name: 'Manual entry' });
    const implausible = result('S302-1', day, { result_value: -90 });
    const unknownUnit = result('S303-1', day, { unit: 'furlongs/fortnight' });
    const noValue = result('S304-1', day, { result_value: null, result_text: 'Hemolyzed specimen' });
    const received = result('S305-1', day).received_at as number;
    // Two rules at once: a device nobody knows, resulted an hour before it was received.
    const twoRules = result('S306-1', day, { device_id: 'DEV-GHOST', resulted_at: received - HOUR });
    const rows = [good, unmapped, implausible, unknownUnit, noValue, twoRules];
    const commit = await commitBronze('lab_results', 'lab-dq', rows, '2025-07-03');
    const outcome = await silverForBronzeUnit(deps, commit);

    const expectedRules: Record<string, string> = {
      'S301-1': 'test_code_mapped_to_loinc',
      'S302-1': 'result_value_plausible',
      'S303-1': 'unit_known_for_loinc',
      'S304-1': 'quantitative_result_has_value',
      'S306-1': 'result_device_known,resulted_not_before_received',
    };
    const quarantined = await rowsOf(quarantine('lab_results'), commit.partition);
    expect(Object.fromEntries(quarantined.map((r) => [r.result_id, r.dq_rules]))).toEqual(expectedRules);
    // Quarantined rows keep the silver shape: no raw patient identifiers.
    for (const row of quarantined) {
      expect(Object.keys(row)).not.toContain('patient_id');
      expect(Object.keys(row)).not.toContain('patient_name');
      expect(Object.keys(row)).not.toContain('postal_code');
      expect(Object.keys(row)).not.toContain('date_of_birth');
      expect(row.patient_key).toMatch(/^[\w-]{22}$/);
    }
    // Only the good row reached silver.
    expect((await rowsOf(silver('lab_results'), { result_date: day })).map((r) => r.result_id)).toEqual(['S300-1']);

    expect(outcome).toMatchObject({ rowsIn: 6, rowsOut: 1, quarantined: 5 });
    const report = outcome.report.lab_results!;
    expect(report).toMatchObject({ rowsIn: 6, passed: 1, quarantined: 5 });
    const nonZero = Object.fromEntries(Object.entries(report.failuresByRule).filter(([, n]) => n > 0));
    expect(nonZero).toEqual({
      test_code_mapped_to_loinc: 1,
      result_value_plausible: 1,
      unit_known_for_loinc: 1,
      quantitative_result_has_value: 1,
      result_device_known: 1,
      resulted_not_before_received: 1,
    });
    // Every rule of the table is in the report, so a zero is visible as a zero.
    expect(report.failuresByRule).toHaveProperty('received_not_in_future', 0);

    // The stored report (what `lims-mlops status` shows) holds the same counts.
    const stored = (await ctx.dqReports.since(reportedBefore)).lab_results!;
    expect(stored).toEqual(report);
  });

  it('re-running the same bronze unit replaces its silver and quarantine output instead of duplicating it', async () => {
    const day = '2025-06-05';
    const rows = [
      result('S400-1', day), result('S401-1', day, { result_value: 101 }), result('S402-1', day, { result_value: 102 }),
      result('S403-1', day, { test_code: 'ZZ-MANUAL' }), result('S404-1', day, { result_value: -1 }),
    ];
    const commit = await commitBronze('lab_results', 'lab-rerun', rows, '2025-07-04');
    const first = await silverForBronzeUnit(deps, commit);
    const silverFirst = await rowsOf(silver('lab_results'), { result_date: day });
    const quarantineFirst = await rowsOf(quarantine('lab_results'), commit.partition);
    expect(silverFirst).toHaveLength(3);
    expect(quarantineFirst).toHaveLength(2);

    const second = await silverForBronzeUnit(deps, commit);
    const third = await silverForBronzeUnit(deps, commit);
    const byId = (a: Row, b: Row) => String(a.result_id).localeCompare(String(b.result_id));
    expect((await rowsOf(silver('lab_results'), { result_date: day })).sort(byId)).toEqual(silverFirst.sort(byId));
    expect((await rowsOf(quarantine('lab_results'), commit.partition)).sort(byId)).toEqual(quarantineFirst.sort(byId));
    expect(second).toEqual(first);
    expect(third).toEqual(first);

    // One committed file per partition after the reruns, and no stray data files beside it.
    const manifest = await ctx.lake.readManifest(silver('lab_results'), { result_date: day });
    expect(manifest?.files).toHaveLength(1);
    const blobs: string[] = [];
    for await (const blob of ctx.lake.container.listBlobsFlat({ prefix: `silver/lab_results/result_date=${day}/` })) blobs.push(blob.name);
    expect(blobs.filter((b) => b.endsWith('.parquet'))).toEqual([`silver/lab_results/result_date=${day}/${manifest!.files[0]!.name}`]);
  });
});

describe('silver corrections across days', () => {
  it('a correction that changes the result day replaces the original in its old day partition, and gold hears of both days', async () => {
    const original = result('S500-1', '2025-06-10', { result_value: 90 });
    // A re-run the next day: received_at stays, resulted_at moves past midnight.
    const moved = result('S500-1', '2025-06-11', {
      result_value: 95,
      status: 'corrected',
      received_at: original.received_at,
      modified_at: Date.parse('2025-06-12T00:00:00Z'),
    });
    await silverForBronzeUnit(deps, await commitBronze('lab_results', 'lab-move-1', [original]));
    const changes: SilverChange[] = [];
    await silverForBronzeUnit({ ...deps, onSilverChanged: async (change) => void changes.push(change) }, await commitBronze('lab_results', 'lab-move-2', [moved], '2025-07-05'));
    const everywhere = [...(await rowsOf(silver('lab_results'), { result_date: '2025-06-10' })), ...(await rowsOf(silver('lab_results'), { result_date: '2025-06-11' }))];
    expect(everywhere.filter((r) => r.result_id === 'S500-1')).toEqual([expect.objectContaining({ result_value: 95 })]);
    expect(changes.map((c) => c.dates)).toEqual([['2025-06-10', '2025-06-11']]);

    // Running the older version again, in another process (no cached key index), changes nothing:
    // the newer version wins wherever it is.
    await silverForBronzeUnit({ ...deps, lake: new Lake(ctx.lake.container) }, await commitBronze('lab_results', 'lab-move-1', [original]));
    const again = [...(await rowsOf(silver('lab_results'), { result_date: '2025-06-10' })), ...(await rowsOf(silver('lab_results'), { result_date: '2025-06-11' }))];
    expect(again.filter((r) => r.result_id === 'S500-1').map((r) => r.result_value)).toEqual([95]);
  });

  it('the same correction processed in another process (no cached index of the old day) replaces its original too', async () => {
    const original = result('S501-1', '2025-06-20', { result_value: 40 });
    const neighbour = result('S501-2', '2025-06-20', { result_value: 41 });
    const moved = result('S501-1', '2025-06-21', { result_value: 45, status: 'corrected', received_at: original.received_at, modified_at: Date.parse('2025-06-22T00:00:00Z') });
    await silverForBronzeUnit(deps, await commitBronze('lab_results', 'lab-move-3', [original, neighbour]));
    await silverForBronzeUnit({ ...deps, lake: new Lake(ctx.lake.container) }, await commitBronze('lab_results', 'lab-move-4', [moved], '2025-07-06'));
    const everywhere = [...(await rowsOf(silver('lab_results'), { result_date: '2025-06-20' })), ...(await rowsOf(silver('lab_results'), { result_date: '2025-06-21' }))];
    expect(everywhere.filter((r) => String(r.result_id).startsWith('S501')).map((r) => [r.result_id, r.result_value]).sort()).toEqual([['S501-1', 45], ['S501-2', 41]]);
  });
});

describe('silver device logs and maintenance events', () => {
  it('collapses exact duplicate rows and keeps the closing version of a maintenance event', async () => {
    const at = Date.parse('2025-06-06T10:00:00Z');
    const log = { log_id: 'L1', device_id: 'DEV-A', logged_at: at, level: 'error', event_code: 'E310', message: 'Aspiration failure', modified_at: at };
    await silverForBronzeUnit(deps, await commitBronze('device_logs', 'logs-1', [log, { ...log }, { ...log, log_id: 'L2', level: ' WARN ' }]));
    const logs = await rowsOf(silver('device_logs'), { log_date: '2025-06-06' });
    expect(logs.map((r) => [r.log_id, r.level]).sort()).toEqual([['L1', 'ERROR'], ['L2', 'WARN']]);

    const open = { event_id: 'EV1', device_id: 'DEV-A', event_type: 'failure', started_at: at, ended_at: null, modified_at: at };
    await silverForBronzeUnit(deps, await commitBronze('maintenance_events', 'events-1', [open]));
    await silverForBronzeUnit(deps, await commitBronze('maintenance_events', 'events-2', [{ ...open, ended_at: at + 4 * HOUR, modified_at: at + 4 * HOUR }]));
    const events = await rowsOf(silver('maintenance_events'), { snapshot: 'current' });
    expect(events).toEqual([expect.objectContaining({ event_id: 'EV1', ended_at: at + 4 * HOUR })]);
  });
});
