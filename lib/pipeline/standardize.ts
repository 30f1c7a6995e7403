import { batchOf, codesOfBytes, codesOfValues, isNullableNumbers, numberOfNullable, numbersOrNaN, isTextBytes, isTextCodes, textCoder, type ColumnBatch, type HeldColumn, type NullableNumbers, type TextBytes, type TextCodes } from '../lake/parquet.js';
import { LIMS_TABLES, type LimsTableName } from '../sources/schema.js';
import type { LoincMap, LoincMapping } from '../standards/loinc.js';
import type { RegionMap } from '../standards/pii.js';
import { AGE_BANDS, ageBandIndex } from '../standards/pii.js';
import { canonicalConversion, convertValue, type Conversion, type UnitError } from '../standards/ucum.js';
import { SILVER_TABLES } from './silverTables.js';

/**
 * Bronze batch -> silver-shaped batch, per table: codes trimmed, enumerations upper-cased, test
 * codes mapped to LOINC through the device's site, values converted to the LOINC code's
 * canonical UCUM unit, and patient identifiers reduced (keyed hash, age band, region; names,
 * birth dates and postal codes dropped). What cannot be mapped or converted is left for the
 * data-quality rules to quarantine (loinc_code null, unit not canonical).
 *
 * Column by column: text that bronze stored with a dictionary is transformed once per distinct
 * value and stays codes through to silver's dictionary, so a unit of 200,000 results makes no
 * string, and no object, per row.
 */
export interface Standards {
  readonly loinc: LoincMap;
  readonly regions: RegionMap;
  readonly hashPatientId: (patientId: string | null) => string | null;
  /** site_id of each known device (from silver devices). */
  readonly deviceSites: ReadonlyMap<string, string>;
}

/** A text column: codes where bronze had a dictionary, bytes where it wrote plain text (ids), else a value per row. */
type Text = TextCodes | TextBytes | readonly (string | null)[];
/** A number column: typed (no nulls), typed with a mask (nulls), or a value per row. */
type Numbers = Float64Array | Int32Array | NullableNumbers | readonly (number | null)[];
type SilverColumn = Text | Numbers;

const trimmed = (value: string | null): string | null => {
  if (value === null) return null;
  const text = value.trim();
  return text === '' ? null : text;
};
const upper = (value: string | null): string | null => trimmed(value)?.toUpperCase() ?? null;
const lower = (value: string | null): string | null => trimmed(value)?.toLowerCase() ?? null;

/** Qualitative results in one spelling: Positive / Negative (others kept for the DQ rule). */
function qualitative(value: string | null): string | null {
  const raw = trimmed(value);
  if (raw === null) return null;
  const folded = raw.toLowerCase();
  if (folded === 'positive' || folded === 'pos' || folded === 'detected') return 'Positive';
  if (folded === 'negative' || folded === 'neg' || folded === 'not detected') return 'Negative';
  return raw;
}

/** A bronze column as it is (all null when the file lacks it). */
function bronzeColumn(batch: ColumnBatch, name: string): SilverColumn {
  return batch.codes?.[name] ?? batch.bytes?.[name] ?? (batch.columns[name] as SilverColumn | undefined) ?? new Array<null>(batch.length).fill(null);
}

function bronzeText(batch: ColumnBatch, name: string): Text {
  return batch.codes?.[name] ?? batch.bytes?.[name] ?? ((batch.columns[name] as readonly (string | null)[] | undefined) ?? new Array<null>(batch.length).fill(null));
}

/**
 * Whether `trimmed` leaves every row of text bytes as it is: none empty, none starting or ending
 * with a space or control byte, or with a byte of a multi-byte character (which may be Unicode
 * whitespace, such as a no-break space).
 */
function isTrimmed(text: TextBytes): boolean {
  const { bytes, ends, present } = text;
  const plain = (byte: number): boolean => byte > 0x20 && byte < 0x80;
  for (let i = 0, start = 0; i < ends.length; start = ends[i]!, i++) {
    if (present && present[i] === 0) continue;
    const end = ends[i]!;
    if (end === start || !plain(bytes[start]!) || !plain(bytes[end - 1]!)) return false;
  }
  return true;
}

/**
 * `transform` of each value (null included): once per distinct value of coded text, which is
 * returned as it is when the transform changes none of its values (clean codes, the usual case).
 */
function mapText(text: Text, transform: (value: string | null) => string | null): Text {
  if (isTextBytes(text)) {
    // Ids, the usual bytes, are trimmed already: they stay bytes, with no string per row.
    if (transform === trimmed && isTrimmed(text)) return text;
    // Otherwise (patient ids, postal codes) transformed once per distinct value, as coded text is.
    return mapText(codesOfBytes(text), transform);
  }
  if (!isTextCodes(text)) {
    const out = new Array<string | null>(text.length);
    // A file written with another type for the column (a number) is read as its text.
    for (let i = 0; i < out.length; i++) out[i] = transform(text[i] === null || text[i] === undefined ? null : String(text[i]));
    return out;
  }
  const { codes, values } = text;
  const [mapped, nullMapped] = [values.map((value) => transform(value)), transform(null)];
  if (nullMapped === null && mapped.every((value, code) => value === values[code])) return text;
  const coder = textCoder();
  const remap = new Int32Array(values.length);
  for (let code = 0; code < values.length; code++) remap[code] = coder.code(mapped[code]);
  const nullCode = coder.code(nullMapped);
  const out = new Int32Array(codes.length);
  for (let i = 0; i < out.length; i++) out[i] = codes[i]! < 0 ? nullCode : remap[codes[i]!]!;
  return { codes: out, values: coder.values };
}

function asCodes(text: Text): TextCodes {
  return isTextCodes(text) ? text : isTextBytes(text) ? codesOfBytes(text) : codesOfValues(text);
}

/** Finite numbers; anything else is null. A column that holds nothing else is kept as it is. */
function numbers(batch: ColumnBatch, name: string): Numbers {
  const nullable = batch.numbers?.[name];
  if (nullable) return finiteNumbers(nullable);
  const column = batch.columns[name];
  if (!column) return new Array<null>(batch.length).fill(null);
  // Usually nothing to change: a typed column of finite numbers, or finite numbers and nulls.
  let clean = true;
  if (column instanceof Float64Array || column instanceof Int32Array) {
    for (let i = 0; i < column.length && clean; i++) clean = Number.isFinite(column[i]);
  } else {
    for (let i = 0; i < column.length && clean; i++) clean = column[i] === null || Number.isFinite(column[i]);
  }
  if (clean) return column as Numbers;
  const out = new Array<number | null>(column.length);
  for (let i = 0; i < out.length; i++) {
    const value = column[i];
    out[i] = typeof value === 'number' && Number.isFinite(value) ? value : null;
  }
  return out;
}

/** Nullable numbers whose NaN and infinities are null too. */
function finiteNumbers(column: NullableNumbers): NullableNumbers {
  const { values, present } = column;
  let finite = true;
  for (let i = 0; i < values.length && finite; i++) finite = present[i] === 0 || Number.isFinite(values[i]);
  if (finite) return column;
  return { values, present: Uint8Array.from(present, (p, i) => (p === 1 && Number.isFinite(values[i]) ? 1 : 0)) };
}

/** Row i's number (null where null). */
function numberIn(column: Numbers, i: number): number | null {
  return isNullableNumbers(column) ? numberOfNullable(column, i) : column[i]!;
}

/** A code per row from a code per value of `codes` (-1 stays -1). */
function perRow(codes: Int32Array, codeOfValue: Int32Array): Int32Array {
  const out = new Int32Array(codes.length);
  for (let i = 0; i < out.length; i++) out[i] = codes[i]! < 0 ? -1 : codeOfValue[codes[i]!]!;
  return out;
}

/** The site of each row's device (null for an unknown device), as codes. */
function sitesOf(devices: TextCodes, deviceSites: ReadonlyMap<string, string>): TextCodes {
  const coder = textCoder();
  const siteOfDevice = Int32Array.from(devices.values, (id) => coder.code(deviceSites.get(id) ?? null));
  return { codes: perRow(devices.codes, siteOfDevice), values: coder.values };
}

/** Each row's LOINC mapping through its site and local test code: positions into `mappings`, -1 when unmapped. */
interface RowMappings {
  readonly rows: Int32Array;
  readonly mappings: readonly LoincMapping[];
}

function mappingsOf(sites: TextCodes, tests: TextCodes, loinc: LoincMap): RowMappings {
  const mappings: LoincMapping[] = [];
  const bySlot = new Map<number, number>();
  const width = tests.values.length + 1;
  const rows = new Int32Array(sites.codes.length);
  for (let i = 0; i < rows.length; i++) {
    const site = sites.codes[i]!;
    const test = tests.codes[i]!;
    const slot = (site + 1) * width + test + 1;
    let mapping = bySlot.get(slot);
    if (mapping === undefined) {
      const found = loinc.mapTestCode(site < 0 ? null : sites.values[site]!, test < 0 ? null : tests.values[test]!);
      bySlot.set(slot, (mapping = found ? mappings.push(found) - 1 : -1));
    }
    rows[i] = mapping;
  }
  return { rows, mappings };
}

/** A field of each row's mapping, as codes (null where unmapped). */
function mappedText(mapped: RowMappings, field: (mapping: LoincMapping) => string): TextCodes {
  const coder = textCoder();
  return { codes: perRow(mapped.rows, Int32Array.from(mapped.mappings, (m) => coder.code(field(m)))), values: coder.values };
}

/**
 * Result values in their LOINC code's canonical unit. A row whose test is unmapped, or whose unit
 * does not convert, keeps its reported value, unit and limits (the DQ rules quarantine it).
 */
function canonicalResults(batch: ColumnBatch, mapped: RowMappings, reported: Numbers, reportedUnits: TextCodes): { value: NullableNumbers; unit: TextCodes; low: NullableNumbers; high: NullableNumbers } {
  const [reportedLow, reportedHigh] = [numbers(batch, 'reference_low'), numbers(batch, 'reference_high')];
  const n = batch.length;
  const [value, low, high] = [nullableNumbers(n), nullableNumbers(n), nullableNumbers(n)];
  const unitCoder = textCoder();
  const unitCodes = new Int32Array(n);
  const conversions: (Conversion | UnitError)[] = [];
  const bySlot = new Map<number, number>();
  const width = reportedUnits.values.length + 1;
  for (let i = 0; i < n; i++) {
    const mapping = mapped.rows[i]!;
    const unit = reportedUnits.codes[i]!;
    const unitText = unit < 0 ? null : reportedUnits.values[unit]!;
    let conversion: Conversion | UnitError | undefined;
    if (mapping >= 0) {
      const slot = mapping * width + unit + 1;
      let position = bySlot.get(slot);
      if (position === undefined) bySlot.set(slot, (position = conversions.push(canonicalConversion(mapped.mappings[mapping]!.loincCode, unitText)) - 1));
      conversion = conversions[position]!;
    }
    const converted = conversion !== undefined && !('error' in conversion) ? conversion : undefined;
    setConverted(value, i, numberIn(reported, i), converted, 0);
    setConverted(low, i, numberIn(reportedLow, i), converted, 2);
    setConverted(high, i, numberIn(reportedHigh, i), converted, 2);
    unitCodes[i] = unitCoder.code(converted ? converted.unit : unitText);
  }
  return { value, unit: { codes: unitCodes, values: unitCoder.values }, low, high };
}

function nullableNumbers(length: number): NullableNumbers {
  return { values: new Float64Array(length), present: new Uint8Array(length) };
}

/** Row i of `out`: the value converted (with `extraDecimals`), as reported when there is no conversion, null when null. */
function setConverted(out: NullableNumbers, i: number, reported: number | null, conversion: Conversion | undefined, extraDecimals: number): void {
  if (reported === null) return;
  (out.values as Float64Array)[i] = conversion ? convertValue(conversion, reported, extraDecimals) : reported;
  (out.present as Uint8Array)[i] = 1;
}

/** Age bands at receipt (or result time), as codes into AGE_BANDS. */
function ageBands(batch: ColumnBatch, received: Numbers, resulted: Numbers): TextCodes {
  const [births, receipts, results] = [numbersOrNaN(numbers(batch, 'date_of_birth')), numbersOrNaN(received), numbersOrNaN(resulted)];
  const codes = new Int32Array(batch.length);
  for (let i = 0; i < codes.length; i++) codes[i] = ageBandIndex(births[i]!, Number.isNaN(receipts[i]) ? results[i]! : receipts[i]!);
  return { codes, values: AGE_BANDS };
}


function labResults(batch: ColumnBatch, standards: Standards): Record<string, SilverColumn> {
  const devices = asCodes(mapText(bronzeText(batch, 'device_id'), trimmed));
  const sites = sitesOf(devices, standards.deviceSites);
  const tests = asCodes(mapText(bronzeText(batch, 'test_code'), trimmed));
  const mapped = mappingsOf(sites, tests, standards.loinc);
  const [reported, reportedUnits] = [numbers(batch, 'result_value'), asCodes(mapText(bronzeText(batch, 'unit'), trimmed))];
  const canonical = canonicalResults(batch, mapped, reported, reportedUnits);
  const [received, resulted] = [numbers(batch, 'received_at'), numbers(batch, 'resulted_at')];
  return {
    result_id: mapText(bronzeText(batch, 'result_id'), trimmed),
    sample_id: mapText(bronzeText(batch, 'sample_id'), trimmed),
    patient_key: mapText(bronzeText(batch, 'patient_id'), (id) => standards.hashPatientId(trimmed(id))),
    age_band: ageBands(batch, received, resulted),
    sex: mapText(bronzeText(batch, 'sex'), upper),
    region: mapText(bronzeText(batch, 'postal_code'), (code) => standards.regions.regionOfPostalCode(trimmed(code))),
    site_id: sites,
    device_id: devices,
    test_code: tests,
    loinc_code: mappedText(mapped, (m) => m.loincCode),
    loinc_name: mappedText(mapped, (m) => m.loincLongCommonName),
    result_value: canonical.value,
    unit: canonical.unit,
    reported_value: reported,
    reported_unit: reportedUnits,
    reference_low: canonical.low,
    reference_high: canonical.high,
    result_text: mapText(bronzeText(batch, 'result_text'), qualitative),
    abnormal_flag: mapText(bronzeText(batch, 'abnormal_flag'), upper),
    received_at: received,
    resulted_at: resulted,
    status: mapText(bronzeText(batch, 'status'), lower),
    modified_at: numbers(batch, 'modified_at'),
  };
}

function qualityControl(batch: ColumnBatch, standards: Standards): Record<string, SilverColumn> {
  const devices = asCodes(mapText(bronzeText(batch, 'device_id'), trimmed));
  const sites = sitesOf(devices, standards.deviceSites);
  const tests = asCodes(mapText(bronzeText(batch, 'test_code'), trimmed));
  const columns: Record<string, SilverColumn> = {
    qc_id: mapText(bronzeText(batch, 'qc_id'), trimmed),
    device_id: devices,
    test_code: tests,
    site_id: sites,
    loinc_code: mappedText(mappingsOf(sites, tests, standards.loinc), (m) => m.loincCode),
    control_lot: mapText(bronzeText(batch, 'control_lot'), trimmed),
  };
  for (const name of ['control_level', 'measured_value', 'target_mean', 'target_sd', 'run_at', 'modified_at']) columns[name] = numbers(batch, name);
  return columns;
}

/** A table whose bronze columns pass through, some of its text cleaned. */
function passThrough(table: LimsTableName, cleaned: Readonly<Record<string, (value: string | null) => string | null>>): (batch: ColumnBatch) => Record<string, SilverColumn> {
  return (batch) => {
    const columns: Record<string, SilverColumn> = {};
    for (const { name } of LIMS_TABLES[table].columns) {
      const clean = cleaned[name];
      columns[name] = clean ? mapText(bronzeText(batch, name), clean) : bronzeColumn(batch, name);
    }
    return columns;
  };
}

const deviceLogs = passThrough('device_logs', { log_id: trimmed, device_id: trimmed, level: upper, event_code: trimmed });
const devicesTable = passThrough('devices', { device_id: trimmed, site_id: trimmed });
const maintenanceEvents = passThrough('maintenance_events', { event_id: trimmed, device_id: trimmed, event_type: lower });

function silverColumnsOf(table: LimsTableName, batch: ColumnBatch, standards: Standards): Record<string, SilverColumn> {
  switch (table) {
    case 'lab_results':
      return labResults(batch, standards);
    case 'quality_control':
      return qualityControl(batch, standards);
    case 'device_logs':
      return deviceLogs(batch);
    case 'devices':
      return devicesTable(batch);
    case 'maintenance_events':
      return maintenanceEvents(batch);
  }
}

/** The silver-shaped batch of a bronze batch: exactly the silver table's columns. */
export function standardizeBatch(table: LimsTableName, batch: ColumnBatch, standards: Standards): ColumnBatch {
  const columns = silverColumnsOf(table, batch, standards);
  const data: Record<string, HeldColumn> = {};
  for (const { name } of SILVER_TABLES[table].columns) data[name] = columns[name]!;
  return batchOf(batch.length, data);
}

/**
 * Bronze columns a table's standardization reads (undefined: all). The rest are never decoded:
 * patient names stay in bronze's bytes.
 */
export function bronzeColumnsRead(table: LimsTableName): readonly string[] | undefined {
  if (table !== 'lab_results') return undefined;
  return LIMS_TABLES.lab_results.columns.map((c) => c.name).filter((name) => name !== 'patient_name' && name !== 'test_name');
}
