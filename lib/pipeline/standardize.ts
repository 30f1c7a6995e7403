import { mapRows, type ColumnBatch } from '../lake/parquet.js';
import { LIMS_TABLES, type LimsTableName, type Row } from '../sources/schema.js';
import type { LoincMap } from '../standards/loinc.js';
import type { RegionMap } from '../standards/pii.js';
import { ageBand } from '../standards/pii.js';
import { toCanonical } from '../standards/ucum.js';

/**
 * Bronze row -> silver-shaped row, per table: codes trimmed, enumerations upper-cased, test
 * codes mapped to LOINC through the device's site, values converted to the LOINC code's
 * canonical UCUM unit, and patient identifiers reduced (keyed hash, age band, region; names,
 * birth dates and postal codes dropped). What cannot be mapped or converted is left for the
 * data-quality rules to quarantine (loinc_code null, unit not canonical).
 */
export interface Standards {
  readonly loinc: LoincMap;
  readonly regions: RegionMap;
  readonly hashPatientId: (patientId: string | null) => string | null;
  /** site_id of each known device (from silver devices). */
  readonly deviceSites: ReadonlyMap<string, string>;
}

const text = (value: unknown): string | null => {
  if (value === null || value === undefined) return null;
  const trimmed = String(value).trim();
  return trimmed === '' ? null : trimmed;
};
const upper = (value: unknown): string | null => text(value)?.toUpperCase() ?? null;
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** Qualitative results in one spelling: Positive / Negative (others kept for the DQ rule). */
function qualitative(value: unknown): string | null {
  const raw = text(value);
  if (raw === null) return null;
  const lower = raw.toLowerCase();
  if (lower === 'positive' || lower === 'pos' || lower === 'detected') return 'Positive';
  if (lower === 'negative' || lower === 'neg' || lower === 'not detected') return 'Negative';
  return raw;
}

function labResult(row: Row, standards: Standards): Row {
  const deviceId = text(row.device_id);
  const siteId = deviceId ? (standards.deviceSites.get(deviceId) ?? null) : null;
  const testCode = text(row.test_code);
  const mapping = standards.loinc.mapTestCode(siteId, testCode);
  const reportedUnit = text(row.unit);
  const reportedValue = num(row.result_value);
  let value = reportedValue;
  let unit = reportedUnit;
  let low = num(row.reference_low);
  let high = num(row.reference_high);
  if (mapping) {
    const converted = toCanonical(mapping.loincCode, reportedValue, reportedUnit);
    if (!('error' in converted)) {
      value = converted.value;
      unit = converted.unit;
      low = convertOrNull(mapping.loincCode, low, reportedUnit);
      high = convertOrNull(mapping.loincCode, high, reportedUnit);
    }
  }
  const at = num(row.received_at) ?? num(row.resulted_at);
  return {
    result_id: text(row.result_id),
    sample_id: text(row.sample_id),
    patient_key: standards.hashPatientId(text(row.patient_id)),
    age_band: ageBand(num(row.date_of_birth), at),
    sex: upper(row.sex),
    region: standards.regions.regionOfPostalCode(text(row.postal_code)),
    site_id: siteId,
    device_id: deviceId,
    test_code: testCode,
    loinc_code: mapping?.loincCode ?? null,
    loinc_name: mapping?.loincLongCommonName ?? null,
    result_value: value,
    unit,
    reported_value: reportedValue,
    reported_unit: reportedUnit,
    reference_low: low,
    reference_high: high,
    result_text: qualitative(row.result_text),
    abnormal_flag: upper(row.abnormal_flag),
    received_at: num(row.received_at),
    resulted_at: num(row.resulted_at),
    status: text(row.status)?.toLowerCase() ?? null,
    modified_at: num(row.modified_at),
  };
}

function convertOrNull(loinc: string, value: number | null, unit: string | null): number | null {
  if (value === null) return null;
  const converted = toCanonical(loinc, value, unit, 2);
  return 'error' in converted ? null : converted.value;
}

function qualityControl(row: Row, standards: Standards): Row {
  const deviceId = text(row.device_id);
  const siteId = deviceId ? (standards.deviceSites.get(deviceId) ?? null) : null;
  const testCode = text(row.test_code);
  return {
    qc_id: text(row.qc_id),
    device_id: deviceId,
    test_code: testCode,
    site_id: siteId,
    loinc_code: standards.loinc.mapTestCode(siteId, testCode)?.loincCode ?? null,
    control_lot: text(row.control_lot),
    control_level: num(row.control_level),
    measured_value: num(row.measured_value),
    target_mean: num(row.target_mean),
    target_sd: num(row.target_sd),
    run_at: num(row.run_at),
    modified_at: num(row.modified_at),
  };
}

function deviceLog(row: Row): Row {
  return { ...row, log_id: text(row.log_id), device_id: text(row.device_id), level: upper(row.level), event_code: text(row.event_code) };
}

function device(row: Row): Row {
  return { ...row, device_id: text(row.device_id), site_id: text(row.site_id) };
}

function maintenanceEvent(row: Row): Row {
  return { ...row, event_id: text(row.event_id), device_id: text(row.device_id), event_type: text(row.event_type)?.toLowerCase() ?? null };
}

function standardizerOf(table: LimsTableName, standards: Standards): (row: Row) => Row {
  switch (table) {
    case 'lab_results':
      return (row) => labResult(row, standards);
    case 'quality_control':
      return (row) => qualityControl(row, standards);
    case 'device_logs':
      return deviceLog;
    case 'devices':
      return device;
    case 'maintenance_events':
      return maintenanceEvent;
  }
}

/**
 * Bronze columns a table's standardization reads (undefined: all). The rest are never decoded:
 * patient names stay in bronze's bytes.
 */
export function bronzeColumnsRead(table: LimsTableName): readonly string[] | undefined {
  if (table !== 'lab_results') return undefined;
  return LIMS_TABLES.lab_results.columns.map((c) => c.name).filter((name) => name !== 'patient_name' && name !== 'test_name');
}

/** Silver-shaped rows of bronze batches (each bronze row is read into one reused object, never kept). */
export function standardizeBatches(table: LimsTableName, batches: readonly ColumnBatch[], standards: Standards): Row[] {
  const standardize = standardizerOf(table, standards);
  return batches.flatMap((batch) => mapRows(batch, standardize));
}

/** Latest version per key: `modified_at` decides; a later row wins a tie (exact duplicates collapse). */
export function latestVersions(rows: readonly Row[], key: string): Row[] {
  const byKey = new Map<unknown, Row>();
  for (const row of rows) {
    const current = byKey.get(row[key]);
    if (!current || (row.modified_at as number) >= (current.modified_at as number)) byKey.set(row[key], row);
  }
  return [...byKey.values()];
}
