import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { civilDate } from '../calendar/days.js';
import { ConfigError, type Config } from '../config/config.js';
import { CsvError, readCsvFile } from './csv.js';
import { shippedDataFile } from './data-files.js';

// ---- patient ids ----------------------------------------------------------------------------

/** Bytes of the HMAC kept in a pseudonym: 128 bits, so a collision among 10^9 patients has odds of about 10^-21. */
const PSEUDONYM_BYTES = 16;

/**
 * Keyed pseudonym of a patient id: HMAC-SHA-256 truncated to 128 bits, base64url (22
 * characters). Without the key nobody can confirm a guessed id, which a plain hash of a short id
 * would allow. Surrounding whitespace is not part of an id.
 */
export function hashPatientId(key: Buffer | string, patientId: string): string {
  return createHmac('sha256', key).update(patientId.trim(), 'utf8').digest().subarray(0, PSEUDONYM_BYTES).toString('base64url');
}

/** Patients recur across results; remembering recent hashes saves most HMAC computations. */
const HASH_CACHE_LIMIT = 250_000;

/** `hashPatientId` with the key bound and a bounded memo; null ids stay null. */
export function patientIdHasher(key: Buffer | string): (patientId: string | null) => string | null {
  const cache = new Map<string, string>();
  return (patientId) => {
    if (patientId === null) return null;
    let hash = cache.get(patientId);
    if (hash === undefined) {
      if (cache.size >= HASH_CACHE_LIMIT) cache.clear();
      hash = hashPatientId(key, patientId);
      cache.set(patientId, hash);
    }
    return hash;
  };
}

export const PII_KEY_FILE = 'pii-hash.key';

type PiiKeySettings = Pick<Config, 'PII_HASH_KEY' | 'LAKE_STORAGE_ACCOUNT' | 'LAKE_STORAGE_CONNECTION_STRING' | 'LOCAL_DATA_DIR'>;

/**
 * The HMAC key for patient ids. PII_HASH_KEY when set. When empty, only the embedded default
 * (no storage configured) may go on, with a random key generated once per installation and kept
 * in LOCAL_DATA_DIR: any other lake can have several writers, and they must all hash with one
 * key, so a missing key there is a configuration error rather than a silent per-machine key.
 */
export function resolvePiiKey(config: PiiKeySettings, localDataDir: string = config.LOCAL_DATA_DIR): Buffer {
  if (config.PII_HASH_KEY !== '') return Buffer.from(config.PII_HASH_KEY, 'utf8');
  if (config.LAKE_STORAGE_ACCOUNT !== '' || config.LAKE_STORAGE_CONNECTION_STRING !== '') {
    throw new ConfigError(
      'PII_HASH_KEY',
      'Setting PII_HASH_KEY is required when the lake is not the embedded default (LAKE_STORAGE_ACCOUNT or LAKE_STORAGE_CONNECTION_STRING is set): every writer of a lake must hash patient ids with the same key.',
    );
  }
  return installationKey(path.join(localDataDir, PII_KEY_FILE));
}

function installationKey(file: string): Buffer {
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    // 'wx' fails if the file exists, so two processes starting together keep the first key.
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const text = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(text)) throw new Error(`${file} is not a generated PII hash key (64 hex digits); delete it to generate a new one, or set PII_HASH_KEY`);
  return Buffer.from(text, 'hex');
}

// ---- birth dates ----------------------------------------------------------------------------

/** Age bands: children under 5 and 5-17, adults in bands that match public-health reporting. */
export const AGE_BANDS = ['0-4', '5-17', '18-29', '30-44', '45-64', '65-74', '75+'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];
const BAND_STARTS = [0, 5, 18, 30, 45, 65, 75];
/** Older than this is a data-entry error (or a placeholder birth date), not a patient. */
const MAX_AGE_YEARS = 120;

/** Completed years from birth to `atMs`, both in UTC: YYYYMMDD differences count whole years. */
function completedYears(dateOfBirthMs: number, atMs: number): number {
  return Math.floor((civilDate(atMs) - civilDate(dateOfBirthMs)) / 10_000);
}

/** The age band at `atMs` (e.g. when the sample was received); null when unknown or implausible. */
export function ageBand(dateOfBirthMs: number | null, atMs: number | null): AgeBand | null {
  return AGE_BANDS[ageBandIndex(dateOfBirthMs, atMs)] ?? null;
}

/** The position of the age band in AGE_BANDS; -1 when unknown or implausible. */
export function ageBandIndex(dateOfBirthMs: number | null, atMs: number | null): number {
  if (dateOfBirthMs === null || atMs === null || !Number.isFinite(dateOfBirthMs) || !Number.isFinite(atMs) || dateOfBirthMs > atMs) return -1;
  const years = completedYears(dateOfBirthMs, atMs);
  if (years > MAX_AGE_YEARS) return -1;
  let band = 0;
  while (band + 1 < BAND_STARTS.length && years >= BAND_STARTS[band + 1]!) band++;
  return band;
}

// ---- postal codes ---------------------------------------------------------------------------

export const UNKNOWN_REGION = 'unknown';
const SHIPPED_REGION_MAP = 'postal-regions.csv';

export interface RegionMap {
  /** Region id of a postal code: the longest matching prefix; 'unknown' when missing, malformed or unmatched. */
  regionOfPostalCode(code: string | null): string;
}

const REGION_COLUMNS = ['postal_prefix', 'region_id', 'region_name'] as const;

function readPrefixes(file: string, into: Map<string, string>): void {
  const firstLine = new Map<string, number>();
  for (const record of readCsvFile(file, REGION_COLUMNS)) {
    const prefix = normalizePostalCode(record.values.postal_prefix ?? '');
    const region = record.values.region_id ?? '';
    if (prefix === '' || region === '') throw new CsvError(file, record.line, 'postal_prefix and region_id must not be empty');
    const earlier = firstLine.get(prefix);
    if (earlier !== undefined) throw new CsvError(file, record.line, `postal_prefix ${prefix} is already mapped on line ${earlier}`);
    firstLine.set(prefix, record.line);
    into.set(prefix, region);
  }
}

function normalizePostalCode(code: string): string {
  return code.replace(/\s+/g, '').toUpperCase();
}

/**
 * The shipped prefix table plus an override file (REGION_MAPPING_FILE; empty for none) whose
 * rows add or replace prefixes. Only codes matching POSTAL_CODE_PATTERN are looked up, so that a
 * placeholder such as "0000" or "N/A" is not attributed to a region.
 */
export function loadRegionMap(config: Pick<Config, 'REGION_MAPPING_FILE' | 'POSTAL_CODE_PATTERN'>): RegionMap {
  const regionByPrefix = new Map<string, string>();
  readPrefixes(shippedDataFile(SHIPPED_REGION_MAP), regionByPrefix);
  if (config.REGION_MAPPING_FILE !== '') readPrefixes(config.REGION_MAPPING_FILE, regionByPrefix);
  const longestPrefix = Math.max(0, ...[...regionByPrefix.keys()].map((prefix) => prefix.length));
  const valid = new RegExp(config.POSTAL_CODE_PATTERN);
  return {
    regionOfPostalCode(code) {
      if (code === null) return UNKNOWN_REGION;
      const normalized = normalizePostalCode(code);
      if (!valid.test(normalized)) return UNKNOWN_REGION;
      for (let length = Math.min(longestPrefix, normalized.length); length > 0; length--) {
        const region = regionByPrefix.get(normalized.slice(0, length));
        if (region !== undefined) return region;
      }
      return UNKNOWN_REGION;
    },
  };
}
