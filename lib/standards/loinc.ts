import type { Config } from '../config/config.js';
import { CsvError, readCsvFile, type CsvRecord } from './csv.js';
import { shippedDataFile } from './data-files.js';
import { toCanonical } from './ucum.js';

/** What a site's local test code means: its LOINC code and the unit the site reports it in. */
export interface LoincMapping {
  /** The site the row applies to, or `*` for every site. */
  readonly siteId: string;
  readonly localCode: string;
  /** The site's unit for this code; needed where rows carry none (quality_control). Null for qualitative tests. */
  readonly localUnit: string | null;
  readonly loincCode: string;
  readonly loincLongCommonName: string;
}

export interface LoincMap {
  /** The mapping of a site's local code: the site's own row first, then the `*` row. */
  mapTestCode(siteId: string | null, localCode: string | null): LoincMapping | undefined;
}

export const ANY_SITE = '*';
const SHIPPED_LOINC_MAP = 'loinc-map.csv';
const COLUMNS = ['site_id', 'local_code', 'loinc_code', 'loinc_long_common_name'] as const;

/** LOINC codes are digits, a hyphen and a Luhn (mod 10) check digit: 2345-7. */
export function isValidLoincCode(code: string): boolean {
  const match = /^(\d{1,7})-(\d)$/.exec(code);
  if (!match) return false;
  const digits = match[1]!;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const digit = Number(digits[digits.length - 1 - i]);
    const doubled = i % 2 === 0 ? digit * 2 : digit;
    sum += doubled > 9 ? doubled - 9 : doubled;
  }
  return (10 - (sum % 10)) % 10 === Number(match[2]);
}

function mappingOf(record: CsvRecord, file: string): LoincMapping {
  const value = (column: string): string => record.values[column] ?? '';
  const fail = (problem: string): never => {
    throw new CsvError(file, record.line, problem);
  };
  const mapping: LoincMapping = {
    siteId: value('site_id'),
    localCode: value('local_code'),
    localUnit: value('local_unit') || null,
    loincCode: value('loinc_code'),
    loincLongCommonName: value('loinc_long_common_name'),
  };
  for (const column of COLUMNS) if (value(column) === '') fail(`${column} is empty`);
  if (!isValidLoincCode(mapping.loincCode)) fail(`loinc_code '${mapping.loincCode}' is not a LOINC code (digits-check digit, e.g. 2345-7)`);
  const unitCheck = mapping.localUnit === null ? undefined : toCanonical(mapping.loincCode, null, mapping.localUnit);
  if (unitCheck && 'error' in unitCheck) fail(`local_unit: ${unitCheck.error}`);
  return mapping;
}

function readMappings(file: string): LoincMapping[] {
  const firstLine = new Map<string, number>();
  return readCsvFile(file, COLUMNS).map((record) => {
    const mapping = mappingOf(record, file);
    const key = `${mapping.siteId}\u0000${mapping.localCode}`;
    const earlier = firstLine.get(key);
    if (earlier !== undefined) throw new CsvError(file, record.line, `site ${mapping.siteId} code ${mapping.localCode} is already mapped on line ${earlier}`);
    firstLine.set(key, record.line);
    return mapping;
  });
}

/**
 * The shipped mapping plus a site override file (LOINC_MAPPING_FILE; empty for none) whose rows
 * add to or replace shipped rows with the same (site_id, local_code). Codes are matched
 * exactly after trimming (LIMS CHAR columns pad with spaces).
 */
export function loadLoincMap(config: Pick<Config, 'LOINC_MAPPING_FILE'>): LoincMap {
  const bySite = new Map<string, Map<string, LoincMapping>>();
  const override = config.LOINC_MAPPING_FILE;
  const files = override === '' ? [shippedDataFile(SHIPPED_LOINC_MAP)] : [shippedDataFile(SHIPPED_LOINC_MAP), override];
  for (const file of files) {
    for (const mapping of readMappings(file)) {
      let codes = bySite.get(mapping.siteId);
      if (!codes) bySite.set(mapping.siteId, (codes = new Map()));
      codes.set(mapping.localCode, mapping);
    }
  }
  const anySite = bySite.get(ANY_SITE) ?? new Map<string, LoincMapping>();
  return {
    mapTestCode(siteId, localCode) {
      if (localCode === null) return undefined;
      const code = localCode.trim();
      return (siteId === null ? undefined : bySite.get(siteId.trim())?.get(code)) ?? anySite.get(code);
    },
  };
}
