import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/config.js';
import { REGIONS, postalCodeIn, regionOfPostalCode as simulatorRegion } from '../simulate/regions.js';
import { PII_KEY_FILE, UNKNOWN_REGION, ageBand, hashPatientId, loadRegionMap as loadMap, patientIdHasher, resolvePiiKey } from './pii.js';

const loadRegionMap = (file = '', pattern?: string): ReturnType<typeof loadMap> =>
  loadMap(loadConfig({ REGION_MAPPING_FILE: file, POSTAL_CODE_PATTERN: pattern }));
const directory = mkdtempSync(path.join(tmpdir(), 'pii-'));
const KEY = 'a-test-key-of-at-least-thirty-two-characters';

describe('patient id hashing', () => {
  it('is HMAC-SHA-256 truncated to 128 bits, base64url (RFC 4231 test case 2: 5bdcc146bf60754e6a042426089575c7...)', () => {
    expect(hashPatientId('Jefe', 'what do ya want for nothing?')).toBe('W9zBRr9gdU5qBCQmCJV1xw');
  });

  it('is deterministic, keyed, and never the raw id', () => {
    const hash = hashPatientId(KEY, 'P0000042');
    expect(hashPatientId(KEY, 'P0000042')).toBe(hash);
    expect(hashPatientId(Buffer.from(KEY), ' P0000042 ')).toBe(hash);
    expect(hashPatientId(`${KEY}!`, 'P0000042')).not.toBe(hash);
    expect(hashPatientId(KEY, 'P0000043')).not.toBe(hash);
    expect(hash).toMatch(/^[\w-]{22}$/);
    expect(hash).not.toContain('P0000042');
  });

  it('a bound hasher gives the same hashes and keeps null ids null', () => {
    const hash = patientIdHasher(KEY);
    expect(hash('P0000042')).toBe(hashPatientId(KEY, 'P0000042'));
    expect(hash('P0000042')).toBe(hashPatientId(KEY, 'P0000042'));
    expect(hash(null)).toBeNull();
  });
});

describe('resolvePiiKey', () => {
  const embedded = { PII_HASH_KEY: '', LAKE_STORAGE_ACCOUNT: '', LAKE_STORAGE_CONNECTION_STRING: '', LOCAL_DATA_DIR: '.lims-mlops' };

  it('uses PII_HASH_KEY when set', () => {
    expect(resolvePiiKey({ ...embedded, PII_HASH_KEY: KEY }).toString('utf8')).toBe(KEY);
  });

  it('generates one key per installation for the embedded default, readable only by its owner', () => {
    const dataDir = path.join(directory, 'installation');
    const first = resolvePiiKey(embedded, dataDir);
    expect(first).toHaveLength(32);
    expect(resolvePiiKey(embedded, dataDir)).toEqual(first);
    expect(resolvePiiKey(embedded, path.join(directory, 'other-installation'))).not.toEqual(first);
    expect(statSync(path.join(dataDir, PII_KEY_FILE)).mode & 0o077).toBe(0);
  });

  it('refuses a damaged key file rather than hashing with a different key', () => {
    const dataDir = path.join(directory, 'damaged');
    resolvePiiKey(embedded, dataDir);
    const file = path.join(dataDir, PII_KEY_FILE);
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 20));
    expect(() => resolvePiiKey(embedded, dataDir)).toThrow(`${file} is not a generated PII hash key`);
  });

  it.each([
    ['an Azure storage account', { LAKE_STORAGE_ACCOUNT: 'limslake' }],
    ['a storage connection string', { LAKE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' }],
  ])('refuses to start without a key on %s', (_case, storage) => {
    const config = { ...embedded, ...storage };
    expect(() => resolvePiiKey(config, directory)).toThrow(ConfigError);
    expect(() => resolvePiiKey(config, directory)).toThrow(/^Setting PII_HASH_KEY is required/);
  });

  it('the setting refuses a short key without echoing it', () => {
    expect(() => loadConfig({ PII_HASH_KEY: 'short-secret' })).toThrow(
      'Setting PII_HASH_KEY is invalid: expected at least 32 characters (e.g. openssl rand -hex 32), got (hidden secret value).',
    );
  });
});

describe('ageBand', () => {
  const utc = (date: string): number => Date.parse(`${date}T00:00:00Z`);
  const at = utc('2026-03-15');

  it.each([
    ['2026-03-15', '0-4'],
    ['2021-03-16', '0-4'],
    ['2021-03-15', '5-17'],
    ['2008-03-16', '5-17'],
    ['2008-03-15', '18-29'],
    ['1996-03-16', '18-29'],
    ['1996-03-15', '30-44'],
    ['1981-03-15', '45-64'],
    ['1961-03-16', '45-64'],
    ['1961-03-15', '65-74'],
    ['1951-03-16', '65-74'],
    ['1951-03-15', '75+'],
    ['1906-03-15', '75+'],
  ])('born %s is %s on 2026-03-15', (birth, band) => {
    expect(ageBand(utc(birth), at)).toBe(band);
  });

  it('counts a 29 February birthday from 1 March in other years', () => {
    expect(ageBand(utc('2008-02-29'), utc('2026-02-28'))).toBe('5-17');
    expect(ageBand(utc('2008-02-29'), utc('2026-03-01'))).toBe('18-29');
  });

  it('is null when unknown, in the future or implausibly old', () => {
    expect(ageBand(null, at)).toBeNull();
    expect(ageBand(utc('2026-03-16'), at)).toBeNull();
    expect(ageBand(utc('1900-01-01'), at)).toBeNull();
  });
});

describe('regionOfPostalCode', () => {
  const regions = loadRegionMap();

  it('agrees with the simulator for postal codes of every region', () => {
    for (const region of REGIONS) {
      for (const draw of [0, 0.13, 0.5, 0.77, 0.999]) {
        const code = postalCodeIn(region, draw, 1 - draw);
        expect(regions.regionOfPostalCode(code), code).toBe(region.id);
        expect(simulatorRegion(code)).toBe(region.id);
      }
    }
  });

  it('every two-digit prefix has the simulator\'s region', () => {
    for (let prefix = 0; prefix < 100; prefix++) {
      const code = `${String(prefix).padStart(2, '0')}123`;
      expect(regions.regionOfPostalCode(code), code).toBe(simulatorRegion(code));
    }
  });

  it.each([null, '', '0000', 'N/A', '1234A', '999999', 'UNKNOWN'])('%j is unknown', (code) => {
    expect(regions.regionOfPostalCode(code)).toBe(UNKNOWN_REGION);
  });

  it('takes an override file: the longest matching prefix wins, and a pattern for other countries', () => {
    const file = path.join(directory, 'regions.csv');
    writeFileSync(file, ['postal_prefix,region_id,region_name', '10,R99,Old town', '123,R98,Harbour', 'SW1,LDN,London'].join('\n'));
    const overridden = loadRegionMap(file);
    expect(overridden.regionOfPostalCode('10500')).toBe('R99');
    expect(overridden.regionOfPostalCode('12345')).toBe('R98');
    expect(overridden.regionOfPostalCode('12999')).toBe('R01');
    const british = loadRegionMap(file, '^[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][A-Z]{2}$');
    expect(british.regionOfPostalCode('sw1a 1aa')).toBe('LDN');
    expect(british.regionOfPostalCode('10500')).toBe(UNKNOWN_REGION);
  });

  it('the pattern setting must be a regular expression', () => {
    expect(() => loadConfig({ POSTAL_CODE_PATTERN: '^[0-9{5}$' })).toThrow('Setting POSTAL_CODE_PATTERN is invalid: expected a regular expression, got "^[0-9{5}$".');
  });

  it('refuses a bad override file naming file and line', () => {
    const file = path.join(directory, 'bad-regions.csv');
    writeFileSync(file, ['postal_prefix,region_id,region_name', '10,R99,Old town', '10,R98,Again'].join('\n'));
    expect(() => loadRegionMap(file)).toThrow(`${file}:3: postal_prefix 10 is already mapped on line 2`);
  });
});
