import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LakeTable, Zone } from '../../lib/lake/lake.js';
import { parquetToRows, rowsToParquet } from '../../lib/lake/parquet.js';
import { MAX_FEATURE_RUN_DAYS } from '../../lib/pipeline/gold.js';
import { LIMS_TABLES, type LimsTableName, type Row } from '../../lib/sources/schema.js';
import { SMALL_LAB, downloadBlob, readRows, readTable, runSimulatedPipeline, type PipelineFixture } from '../support/pipeline.js';

/**
 * One simulated lab (12 devices x 40 days) taken bronze -> silver -> gold by runPipeline over an
 * in-memory Azurite, through the real queues and handlers. Three checks share that run:
 * no patient identifier leaves bronze; gold device features equal features recomputed from the
 * bronze rows by plain code written here from DESIGN.md; DuckDB reads the gold Parquet files.
 */

const DAY = 86_400_000;
const HOUR = 3_600_000;
const SHARDS = 2;

let run: PipelineFixture;

beforeAll(async () => {
  run = await runSimulatedPipeline(SMALL_LAB, { GOLD_SHARDS: String(SHARDS) });
}, 120_000);

afterAll(async () => {
  await run?.close();
});

const table = (zone: Zone, name: string): Pick<LakeTable, 'zone' | 'name'> => ({ zone, name });

async function blobNames(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of run.ctx.lake.container.listBlobsFlat({ prefix })) names.push(blob.name);
  return names;
}

it('the run went through every stage without parking work', () => {
  expect(run.counts.parked).toBe(0);
  expect(run.counts.gold.featureRows).toBe(SMALL_LAB.devices * SMALL_LAB.days);
  // Each shard's consecutive feature days travel in runs of at most MAX_FEATURE_RUN_DAYS.
  expect(run.counts.gold.featureUnits).toBe(Math.ceil(SMALL_LAB.days / MAX_FEATURE_RUN_DAYS) * SHARDS);
});

// ---- PII ------------------------------------------------------------------------------------

type PiiKind = 'patient id' | 'patient name' | 'birth date (ISO)' | 'birth date (epoch ms)' | 'postal code';

interface Pii {
  readonly ids: ReadonlySet<string>;
  readonly names: ReadonlySet<string>;
  readonly isoDates: ReadonlySet<string>;
  readonly birthMs: ReadonlySet<number>;
  readonly postalCodes: ReadonlySet<string>;
  /** Any first name, a space, any family name seen in bronze (longest alternatives first). */
  readonly namePattern: RegExp;
}

interface Finding {
  readonly file: string;
  readonly via: 'bytes' | 'decoded rows';
  readonly kind: PiiKind;
  readonly value: string;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const alternatives = (words: Iterable<string>): string => [...new Set(words)].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|');

/** The identifiers the simulator put in bronze lab_results. */
function piiOf(rows: readonly Row[]): Pii {
  const ids = new Set<string>();
  const names = new Set<string>();
  const birthMs = new Set<number>();
  const postalCodes = new Set<string>();
  for (const row of rows) {
    if (typeof row.patient_id === 'string') ids.add(row.patient_id);
    if (typeof row.patient_name === 'string') names.add(row.patient_name);
    if (typeof row.date_of_birth === 'number') birthMs.add(row.date_of_birth);
    // Only well-formed codes identify a place; the simulator's junk values ('N/A', '0000') identify nobody.
    if (typeof row.postal_code === 'string' && /^\d{5}$/.test(row.postal_code)) postalCodes.add(row.postal_code);
  }
  const isoDates = new Set([...birthMs].map((ms) => new Date(ms).toISOString().slice(0, 10)));
  const first = [...names].map((n) => n.slice(0, n.indexOf(' ')));
  const family = [...names].map((n) => n.slice(n.indexOf(' ') + 1));
  const namePattern = new RegExp(`(?:${alternatives(first)}) (?:${alternatives(family)})`, 'g');
  return { ids, names, isoDates, birthMs, postalCodes, namePattern };
}

/**
 * Five digits standing alone in a text: not part of an id such as S12345 or of a hex digest.
 * In Parquet's raw bytes, only as a stored string: after its length (0x05, Thrift's varint in statistics
 * and metadata, or the first byte of Parquet's plain int32 length). Five bare digits are too
 * weak a pattern for compressed bytes: literal fragments of ids next to length or tag bytes that
 * happen to be ASCII digits form them by chance; the values themselves are scanned decoded.
 */
// eslint-disable-next-line no-control-regex -- length bytes are what mark a stored string
const POSTAL_CODE = { text: /(?<![A-Za-z0-9_-])\d{5}(?![A-Za-z0-9])/g, parquet: /(?<=\x05(?:\x00\x00\x00)?)\d{5}(?![0-9])/g };

/** Identifiers inside a text: raw file bytes read as Latin-1, or one decoded string value. */
function textFindings(text: string, pii: Pii, form: keyof typeof POSTAL_CODE): [PiiKind, string][] {
  const found: [PiiKind, string][] = [];
  for (const [match] of text.matchAll(/P\d{7}/g)) if (pii.ids.has(match)) found.push(['patient id', match]);
  for (const [match] of text.matchAll(pii.namePattern)) if (pii.names.has(match)) found.push(['patient name', match]);
  for (const [match] of text.matchAll(/\d{4}-\d{2}-\d{2}/g)) if (pii.isoDates.has(match)) found.push(['birth date (ISO)', match]);
  for (const [match] of text.matchAll(POSTAL_CODE[form])) if (pii.postalCodes.has(match)) found.push(['postal code', match]);
  return found;
}

/** Birth dates as little-endian int64 epoch ms at any byte offset (Parquet's TIMESTAMP(ms) and statistics). */
function int64Findings(bytes: Uint8Array, pii: Pii): [PiiKind, string][] {
  const found: [PiiKind, string][] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 8 <= bytes.byteLength; i++) {
    // Midnights are multiples of 86_400_000 = 2^10 x 84_375: their low 10 bits are zero.
    if (bytes[i] !== 0 || (bytes[i + 1]! & 3) !== 0) continue;
    const value = view.getUint32(i, true) + view.getInt32(i + 4, true) * 2 ** 32;
    if (pii.birthMs.has(value)) found.push(['birth date (epoch ms)', String(value)]);
  }
  return found;
}

/** Both readings of a file: its bytes as stored (whatever the compression), and its decoded rows. */
function scanFile(file: string, bytes: Uint8Array, pii: Pii): Finding[] {
  const findings: Finding[] = [];
  const add = (via: Finding['via']) => ([kind, value]: [PiiKind, string]) => findings.push({ file, via, kind, value });
  if (file.endsWith('.parquet')) {
    for (const row of parquetToRows(bytes)) {
      for (const value of Object.values(row)) {
        if (typeof value === 'string') textFindings(value, pii, 'text').forEach(add('decoded rows'));
        else if (typeof value === 'number' && pii.birthMs.has(value)) add('decoded rows')(['birth date (epoch ms)', String(value)]);
      }
    }
  }
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  textFindings(raw, pii, file.endsWith('.parquet') ? 'parquet' : 'text').forEach(add('bytes'));
  int64Findings(bytes, pii).forEach(add('bytes'));
  return findings;
}

/** Every Parquet file under `prefix` in the container, committed or not: whatever a reader could find. */
async function scanPrefix(prefix: string, pii: Pii): Promise<{ files: string[]; findings: Finding[] }> {
  const files = (await blobNames(prefix)).filter((name) => name.endsWith('.parquet'));
  const findings: Finding[] = [];
  // Downloads overlap (Azurite answers from another process); each file is scanned as it arrives.
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++]!;
      findings.push(...scanFile(file, await downloadBlob(run.ctx, file), pii));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { files, findings };
}

const ALL_KINDS: PiiKind[] = ['patient id', 'patient name', 'birth date (ISO)', 'birth date (epoch ms)', 'postal code'];
const kindsOf = (findings: readonly Finding[]): PiiKind[] => [...new Set(findings.map((f) => f.kind))].sort();

describe('PII', () => {
  it('the scan finds the patients in bronze, and none of them in any silver, quarantine or gold file', async () => {
    const pii = piiOf(await readRows(run.ctx, table('bronze', 'lab_results')));
    expect(pii.ids.size).toBeGreaterThan(1000);
    expect(pii.names.size).toBeGreaterThan(1000);
    expect(pii.birthMs.size).toBeGreaterThan(1000);
    expect(pii.postalCodes.size).toBeGreaterThan(1000);

    // The same scan finds them in bronze lab_results: ids, names and postal codes as strings, birth
    // dates as the epoch-ms values of the DATE column; in the decoded rows and in the stored bytes.
    const bronze = await scanPrefix('bronze/lab_results/', pii);
    const bronzeDecoded = bronze.findings.filter((f) => f.via === 'decoded rows');
    expect(kindsOf(bronzeDecoded)).toEqual(ALL_KINDS.filter((k) => k !== 'birth date (ISO)').sort());
    for (const [kind, values] of [['patient id', pii.ids], ['patient name', pii.names], ['postal code', pii.postalCodes], ['birth date (epoch ms)', pii.birthMs]] as const) {
      expect(new Set(bronzeDecoded.filter((f) => f.kind === kind).map((f) => f.value)).size, kind).toBe(values.size);
    }
    // The bytes as stored are scanned too, which finds identifiers only where a file is not
    // compressed: the same bronze rows written uncompressed show the text identifiers in their
    // bytes alone (a DATE is int32 days, too common a pattern to scan bytes for; the decoded scan
    // covers it). Brotli files, silver's and gold's included, rest on the decoded scan.
    const bronzeRows = await readRows(run.ctx, table('bronze', 'lab_results'));
    const uncompressed = scanFile('bronze-uncompressed.parquet', rowsToParquet(LIMS_TABLES.lab_results.columns, bronzeRows, 'none'), pii);
    expect(kindsOf(uncompressed.filter((f) => f.via === 'bytes'))).toEqual(['patient id', 'patient name', 'postal code']);
    // Bronze holds no ISO dates (birth dates are typed); the same scan over a CSV rendering of bronze rows,
    // as an export would write them, finds that form too.
    const csv = (await readRows(run.ctx, table('bronze', 'lab_results'))).slice(0, 500)
      .map((r) => [r.patient_id, r.patient_name, typeof r.date_of_birth === 'number' ? new Date(r.date_of_birth).toISOString().slice(0, 10) : '', r.postal_code].join(','))
      .join('\n');
    expect(kindsOf(scanFile('export.csv', Buffer.from(csv), pii))).toEqual(ALL_KINDS.filter((k) => k !== 'birth date (epoch ms)').sort());

    const scanned: string[] = [];
    const findings: Finding[] = [];
    for (const prefix of ['silver/', 'quarantine/', 'gold/']) {
      const zone = await scanPrefix(prefix, pii);
      scanned.push(...zone.files);
      findings.push(...zone.findings);
    }
    // Every silver table and every gold table was written, and every file of them was scanned.
    for (const name of ['silver/lab_results/', 'silver/device_logs/', 'silver/quality_control/', 'silver/devices/', 'silver/maintenance_events/',
      'quarantine/lab_results/', 'gold/device_daily/', 'gold/qc_daily/', 'gold/outbreak_series/', 'gold/device_features/']) {
      expect(scanned.some((f) => f.startsWith(name)), name).toBe(true);
    }
    expect(findings.slice(0, 20)).toEqual([]);
  });

  it('silver keeps a keyed pseudonym, an age band and a region instead of the identifiers', async () => {
    const rows = await readRows(run.ctx, table('silver', 'lab_results'));
    expect(rows.length).toBeGreaterThan(10_000);
    for (const column of ['patient_id', 'patient_name', 'date_of_birth', 'postal_code']) expect(Object.keys(rows[0]!)).not.toContain(column);
    expect(rows.every((r) => r.patient_key === null || /^[\w-]{22}$/.test(String(r.patient_key)))).toBe(true);
    expect(new Set(rows.map((r) => r.region)).size).toBeGreaterThan(3);
    expect(new Set(rows.map((r) => r.age_band)).size).toBeGreaterThan(3);
  });
});

// ---- device features from bronze --------------------------------------------------------------

/**
 * The LIMS tables as silver should hold them, computed here from the bronze rows: each key's
 * latest version by modified_at.
 *
 * Silver also applies the data-quality rules: a row version breaking one (a QC run without a
 * measured value, a result with an unmapped test code, ...) is quarantined and never reaches
 * gold, so a key keeps its latest *valid* version. Recomputing those rules here would
 * duplicate lib/quality; instead the quarantined versions are taken from the quarantine zone
 * (key + modified_at) and dropped before de-duplication. Everything else below is
 * independent of lib/pipeline and lib/features.
 */
async function silverViewOfBronze(name: LimsTableName, key: string): Promise<Row[]> {
  const quarantined = new Set((await readRows(run.ctx, table('quarantine', name))).map((r) => `${r[key]}|${r.modified_at}`));
  const latest = new Map<unknown, Row>();
  for (const row of await readRows(run.ctx, table('bronze', name))) {
    if (quarantined.has(`${row[key]}|${row.modified_at}`)) continue;
    const current = latest.get(row[key]);
    if (!current || (row.modified_at as number) >= (current.modified_at as number)) latest.set(row[key], row);
  }
  return [...latest.values()];
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

const FEATURE_COLUMNS = [
  'calibration_overdue', 'maintenance_overdue', 'calibration_overdue_days', 'maintenance_overdue_days', 'error_rate_7d',
  'warning_rate_7d', 'qc_pass_rate_7d', 'result_volume_trend', 'avg_turnaround_time_7d', 'result_volume',
] as const;
type Features = Record<(typeof FEATURE_COLUMNS)[number] | 'failure_within_7d', number>;

interface DeviceData {
  readonly device: Row;
  readonly results: Row[];
  readonly logs: Row[];
  readonly qcRuns: { at: number; pass: boolean }[];
  readonly events: Row[];
}

/** QC runs with their Westgard verdict: 1-3s on the run, 2-2s with the previous run of the same device, test and control level. */
function westgardVerdicts(qc: readonly Row[]): Map<string, { at: number; pass: boolean }[]> {
  const byDevice = new Map<string, { at: number; pass: boolean }[]>();
  for (const series of groupBy(qc, (r) => `${r.device_id}|${r.test_code}|${r.control_level}`).values()) {
    series.sort((a, b) => (a.run_at as number) - (b.run_at as number));
    let previousZ: number | null = null;
    for (const run of series) {
      const z = ((run.measured_value as number) - (run.target_mean as number)) / (run.target_sd as number);
      const r13s = Math.abs(z) > 3;
      const r22s = previousZ !== null && ((z > 2 && previousZ > 2) || (z < -2 && previousZ < -2));
      const runs = byDevice.get(String(run.device_id)) ?? [];
      runs.push({ at: run.run_at as number, pass: !r13s && !r22s });
      byDevice.set(String(run.device_id), runs);
      previousZ = z;
    }
  }
  return byDevice;
}

/** The DESIGN.md definitions (with the choices documented in FEATURES) for the UTC day starting at `day`. */
function expectedFeatures(data: DeviceData, day: number): Features {
  const dayEnd = day + DAY;
  const weekStart = day - 6 * DAY;
  const inWindow = (at: unknown, from: number, to: number) => typeof at === 'number' && at >= from && at < to;

  const overdueDays = (type: string, interval: number): number => {
    let last = data.device.installed_at as number;
    for (const e of data.events) if (e.event_type === type && (e.started_at as number) < dayEnd) last = Math.max(last, e.started_at as number);
    return Math.max(0, Math.floor((dayEnd - last) / DAY) - interval);
  };
  const calibration = overdueDays('calibration', data.device.calibration_interval_days as number);
  const maintenance = overdueDays('preventive', data.device.maintenance_interval_days as number);

  const logs = data.logs.filter((l) => inWindow(l.logged_at, weekStart, dayEnd));
  const errors = logs.filter((l) => l.level === 'ERROR').length;
  const warnings = logs.filter((l) => l.level === 'WARN').length;

  const qc = data.qcRuns.filter((r) => inWindow(r.at, weekStart, dayEnd));

  // Results count on the day they were resulted.
  const thisWeek = data.results.filter((r) => inWindow(r.resulted_at, weekStart, dayEnd));
  const weekBefore = data.results.filter((r) => inWindow(r.resulted_at, weekStart - 7 * DAY, weekStart)).length;
  const turnaroundHours = thisWeek.map((r) => ((r.resulted_at as number) - (r.received_at as number)) / HOUR);

  // Label: a failure, or a repair that is not the repair of a failure already under way (the
  // latest unscheduled event before it is not a failure), starts in the 7 days after the day.
  const unscheduled = data.events.filter((e) => e.event_type === 'failure' || e.event_type === 'repair');
  const newFailure = (e: Row): boolean => {
    if (e.event_type === 'failure') return true;
    const before = unscheduled.filter((o) => (o.started_at as number) < (e.started_at as number));
    const latest = before.sort((a, b) => (b.started_at as number) - (a.started_at as number))[0];
    return latest === undefined || latest.event_type === 'repair';
  };
  const failures = unscheduled.filter((e) => inWindow(e.started_at, dayEnd, dayEnd + 7 * DAY) && newFailure(e));
  return {
    calibration_overdue: calibration > 0 ? 1 : 0,
    maintenance_overdue: maintenance > 0 ? 1 : 0,
    calibration_overdue_days: calibration,
    maintenance_overdue_days: maintenance,
    error_rate_7d: logs.length > 0 ? errors / logs.length : 0,
    warning_rate_7d: logs.length > 0 ? warnings / logs.length : 0,
    qc_pass_rate_7d: qc.length > 0 ? qc.filter((r) => r.pass).length / qc.length : 1,
    result_volume_trend: weekBefore > 0 ? (thisWeek.length - weekBefore) / weekBefore : 0,
    avg_turnaround_time_7d: turnaroundHours.length > 0 ? turnaroundHours.reduce((a, b) => a + b, 0) / turnaroundHours.length : 0,
    result_volume: data.results.filter((r) => inWindow(r.resulted_at, day, dayEnd)).length,
    failure_within_7d: failures.length > 0 ? 1 : 0,
  };
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

describe('device features', () => {
  let gold: Map<string, Row>;
  let data: Map<string, DeviceData>;
  const startMs = Date.parse(`${SMALL_LAB.start}T00:00:00Z`);
  const days = Array.from({ length: SMALL_LAB.days }, (_, i) => startMs + i * DAY);
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

  beforeAll(async () => {
    gold = new Map();
    for (const { partition, row } of await readTable(run.ctx, table('gold', 'device_features'))) {
      const key = `${row.device_id}|${partition.feature_date}`;
      expect(gold.has(key), `duplicate gold row ${key}`).toBe(false);
      gold.set(key, row);
    }
    const [devices, events, results, logs, qc] = await Promise.all([
      silverViewOfBronze('devices', 'device_id'),
      silverViewOfBronze('maintenance_events', 'event_id'),
      silverViewOfBronze('lab_results', 'result_id'),
      silverViewOfBronze('device_logs', 'log_id'),
      silverViewOfBronze('quality_control', 'qc_id'),
    ]);
    const byDevice = (rows: Row[]) => groupBy(rows, (r) => String(r.device_id));
    const [eventsOf, resultsOf, logsOf, qcOf] = [byDevice(events), byDevice(results), byDevice(logs), westgardVerdicts(qc)];
    data = new Map(devices.map((device) => {
      const id = String(device.device_id);
      return [id, { device, events: eventsOf.get(id) ?? [], results: resultsOf.get(id) ?? [], logs: logsOf.get(id) ?? [], qcRuns: qcOf.get(id) ?? [] }];
    }));
  });

  it('gold has one row per device per simulated day', () => {
    const expected = [...data.keys()].flatMap((id) => days.map((day) => `${id}|${iso(day)}`)).sort();
    expect(data.size).toBe(SMALL_LAB.devices);
    expect([...gold.keys()].sort()).toEqual(expected);
  });

  it('the ten features and the label of every device-day equal those recomputed from bronze', () => {
    // Every device-day rather than a sample: 480 rows recomputed naively take well under a second.
    const mismatches: string[] = [];
    const seen: Features[] = [];
    for (const [id, device] of data) {
      for (const day of days) {
        const want = expectedFeatures(device, day);
        seen.push(want);
        const got = gold.get(`${id}|${iso(day)}`)!;
        for (const [column, value] of Object.entries(want)) {
          if (typeof got[column] !== 'number' || !close(got[column], value)) mismatches.push(`${id} ${iso(day)} ${column}: gold ${got[column]}, expected ${value}`);
        }
      }
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    // The comparison covered real variety, not a table of zeros.
    expect(seen.filter((f) => f.failure_within_7d === 1).length).toBeGreaterThan(10);
    expect(seen.some((f) => f.error_rate_7d > 0 && f.warning_rate_7d > 0)).toBe(true);
    expect(seen.some((f) => f.qc_pass_rate_7d < 1)).toBe(true);
    expect(seen.some((f) => f.result_volume_trend !== 0)).toBe(true);
    expect(seen.some((f) => f.calibration_overdue === 1)).toBe(true);
    expect(seen.some((f) => f.maintenance_overdue === 1)).toBe(true);
    expect(seen.every((f) => f.avg_turnaround_time_7d > 0 || f.result_volume === 0)).toBe(true);
  });

  it('labels equal the simulator ground truth: 1 iff a failure starts in the 7 days after the feature day', () => {
    expect(run.truth.failures.length).toBeGreaterThanOrEqual(2);
    const mismatches: string[] = [];
    let positives = 0;
    for (const [key, row] of gold) {
      const [id, date] = key.split('|') as [string, string];
      const day = Date.parse(`${date}T00:00:00Z`);
      const truth = run.truth.failures.some((f) => f.device_id === id && f.started_at >= day + DAY && f.started_at < day + 8 * DAY) ? 1 : 0;
      positives += truth;
      if (row.failure_within_7d !== truth) mismatches.push(`${key}: gold ${row.failure_within_7d}, ground truth ${truth}`);
    }
    expect(mismatches).toEqual([]);
    expect(positives).toBeGreaterThanOrEqual(7 * 2 - 2);
  });
});

// ---- DuckDB -----------------------------------------------------------------------------------

describe('DuckDB', () => {
  it('reads the gold Parquet files straight from the container, and its aggregates equal the pipeline\'s', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'lims-duckdb-'));
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    try {
      // What an analyst's copy of the container holds: every Parquet blob, hive layout kept.
      for (const prefix of ['gold/device_features/', 'gold/device_daily/']) {
        for (const name of await blobNames(prefix)) {
          if (!name.endsWith('.parquet')) continue;
          mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
          writeFileSync(path.join(folder, name), await downloadBlob(run.ctx, name));
        }
      }
      const query = async (sql: string) => (await db.runAndReadAll(sql)).getRowObjectsJS();
      const source = (glob: string) => `read_parquet('${path.join(folder, glob).replaceAll("'", "''")}', hive_partitioning = true)`;

      // device_features: gold/device_features/feature_date=YYYY-MM-DD/shard=NN/<unit>.parquet
      const features = source('gold/device_features/*/*/*.parquet');
      const product = (await readTable(run.ctx, table('gold', 'device_features'))).map((r) => r.row);
      const columns = [...FEATURE_COLUMNS, 'failure_within_7d'];
      const [totals] = await query(`select count(*)::INTEGER as n, count(distinct feature_date)::INTEGER as days, count(distinct shard)::INTEGER as shards,
        ${columns.map((c) => `sum(${c})::DOUBLE as ${c}`).join(', ')} from ${features}`);
      expect(totals).toMatchObject({ n: product.length, days: SMALL_LAB.days, shards: SHARDS });
      expect(totals!.n).toBe((await run.ctx.lake.countRows(table('gold', 'device_features'))).rows);
      for (const column of columns) {
        const sum = product.reduce((a, r) => a + (r[column] as number), 0);
        expect(close(totals![column] as number, sum), `sum(${column}): DuckDB ${totals![column]}, pipeline ${sum}`).toBe(true);
      }
      const perDevice = await query(`select device_id, count(*)::INTEGER as n, ${columns.map((c) => `avg(${c})::DOUBLE as ${c}`).join(', ')}
        from ${features} group by device_id order by device_id`);
      const productByDevice = groupBy(product, (r) => String(r.device_id));
      expect(perDevice.map((r) => r.device_id)).toEqual([...productByDevice.keys()].sort());
      for (const row of perDevice) {
        const rows = productByDevice.get(String(row.device_id))!;
        expect(row.n).toBe(rows.length);
        for (const column of columns) {
          const mean = rows.reduce((a, r) => a + (r[column] as number), 0) / rows.length;
          expect(close(row[column] as number, mean), `${row.device_id} avg(${column}): DuckDB ${row[column]}, pipeline ${mean}`).toBe(true);
        }
      }

      // device_daily: gold/device_daily/activity_date=YYYY-MM-DD/<unit>.parquet
      const daily = source('gold/device_daily/*/*.parquet');
      const dailyRows = await readTable(run.ctx, table('gold', 'device_daily'));
      const dailyColumns = ['results', 'turnaround_hours_sum', 'turnaround_count', 'log_events', 'log_errors', 'log_warnings', 'qc_runs', 'qc_passes'];
      const [dailyTotals] = await query(`select count(*)::INTEGER as n, count(distinct activity_date)::INTEGER as days,
        ${dailyColumns.map((c) => `sum(${c})::DOUBLE as ${c}`).join(', ')} from ${daily}`);
      expect(dailyTotals).toMatchObject({ n: dailyRows.length, days: SMALL_LAB.days });
      for (const column of dailyColumns) {
        const sum = dailyRows.reduce((a, r) => a + (r.row[column] as number), 0);
        expect(close(dailyTotals![column] as number, sum), `sum(${column})`).toBe(true);
      }
      const perDeviceDaily = await query(`select device_id, avg(results)::DOUBLE as results, avg(turnaround_hours_sum / nullif(turnaround_count, 0))::DOUBLE as tat
        from ${daily} group by device_id order by device_id`);
      const dailyByDevice = groupBy(dailyRows.map((r) => r.row), (r) => String(r.device_id));
      expect(perDeviceDaily.map((r) => r.device_id)).toEqual([...dailyByDevice.keys()].sort());
      for (const row of perDeviceDaily) {
        const rows = dailyByDevice.get(String(row.device_id))!;
        const results = rows.reduce((a, r) => a + (r.results as number), 0) / rows.length;
        const withResults = rows.filter((r) => (r.turnaround_count as number) > 0);
        const tat = withResults.reduce((a, r) => a + (r.turnaround_hours_sum as number) / (r.turnaround_count as number), 0) / withResults.length;
        expect(close(row.results as number, results), `${row.device_id} avg(results)`).toBe(true);
        expect(close(row.tat as number, tat), `${row.device_id} mean daily turnaround`).toBe(true);
      }
      // Hive partition values come back as typed columns and agree with the product's partitions.
      const perDay = await query(`select strftime(activity_date, '%Y-%m-%d') as day, count(*)::INTEGER as n from ${daily} group by 1 order by 1`);
      const productPerDay = [...groupBy(dailyRows, (r) => r.partition.activity_date!)].map(([day, rows]) => ({ day, n: rows.length })).sort((a, b) => a.day.localeCompare(b.day));
      expect(perDay).toEqual(productPerDay);
    } finally {
      db.closeSync();
      instance.closeSync();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
