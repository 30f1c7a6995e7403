import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_CATALOGUE, UNKNOWN_TEST_CODES, siteTestCodes } from '../simulate/catalogue.js';
import { loadConfig } from '../config/config.js';
import { CsvError } from './csv.js';
import { isValidLoincCode, loadLoincMap as loadMap } from './loinc.js';
import { canonicalUnitOf } from './ucum.js';

const HEADER = 'site_id,local_code,local_unit,loinc_code,loinc_long_common_name';
const loadLoincMap = (file = ''): ReturnType<typeof loadMap> => loadMap(loadConfig({ LOINC_MAPPING_FILE: file }));
const directory = mkdtempSync(path.join(tmpdir(), 'loinc-map-'));

function overrideFile(name: string, lines: string[]): string {
  const file = path.join(directory, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('shipped LOINC mapping', () => {
  const map = loadLoincMap();

  it('maps every (site, local code) the simulator emits to the catalogue\'s LOINC code, name and unit', () => {
    for (const code of siteTestCodes(8)) {
      const mapping = map.mapTestCode(code.site_id, code.local_code);
      expect(mapping, `${code.site_id} ${code.local_code}`).toMatchObject({
        loincCode: code.loinc, loincLongCommonName: code.loinc_name, localUnit: code.local_unit,
      });
    }
  });

  it('maps none of the codes LIMS users type by hand', () => {
    for (const code of UNKNOWN_TEST_CODES) expect(map.mapTestCode('SITE01', code)).toBeUndefined();
    expect(map.mapTestCode('SITE01', null)).toBeUndefined();
  });

  it('ignores the padding of fixed-width LIMS columns', () => {
    expect(map.mapTestCode(' SITE02 ', 'GLU   ')?.loincCode).toBe('2345-7');
  });

  it('knows a canonical unit for every LOINC code it maps to', () => {
    for (const test of TEST_CATALOGUE) expect(canonicalUnitOf(test.loinc), test.key).not.toBeUndefined();
  });
});

describe('LOINC codes', () => {
  it('accepts the catalogue codes and refuses a wrong check digit or shape', () => {
    for (const test of TEST_CATALOGUE) expect(isValidLoincCode(test.loinc), test.loinc).toBe(true);
    expect(isValidLoincCode('2345-8')).toBe(false);
    expect(isValidLoincCode('2345')).toBe(false);
    expect(isValidLoincCode('GLU-7')).toBe(false);
  });
});

describe('site override file', () => {
  it('adds site rows and replaces shipped rows; a site row wins over the * row', () => {
    const file = overrideFile('override.csv', [
      '# site 7 calls glucose GLUC1 and reuses K for a potassium test reported in mEq/L',
      HEADER,
      'SITE07,GLUC1,mmol/L,2345-7,Glucose [Mass/volume] in Serum or Plasma',
      'SITE07,K,mEq/L,2823-3,"Potassium [Moles/volume] in Serum or Plasma, site 7"',
      '*,TROP,ng/L,10839-9,Troponin I.cardiac [Mass/volume] in Serum or Plasma',
    ]);
    const map = loadLoincMap(file);
    expect(map.mapTestCode('SITE07', 'GLUC1')?.loincCode).toBe('2345-7');
    expect(map.mapTestCode('SITE01', 'GLUC1')).toBeUndefined();
    expect(map.mapTestCode('SITE07', 'K')).toMatchObject({ localUnit: 'mEq/L', loincLongCommonName: 'Potassium [Moles/volume] in Serum or Plasma, site 7' });
    expect(map.mapTestCode('SITE01', 'K')?.localUnit).toBe('mmol/L');
    expect(map.mapTestCode('SITE03', 'TROP')?.localUnit).toBe('ng/L');
  });

  it.each([
    ['missing column', ['site_id,local_code,loinc_code', 'S1,X,2345-7'], 1, 'header lacks column(s) loinc_long_common_name'],
    ['bad check digit', [HEADER, 'S1,X,mg/dL,2345-7,Glucose', 'S1,Y,mg/dL,2345-8,Glucose'], 3, "loinc_code '2345-8' is not a LOINC code"],
    ['field count', [HEADER, 'S1,X,mg/dL,2345-7'], 2, 'expected 5 fields, got 4'],
    ['empty code', [HEADER, 'S1,,mg/dL,2345-7,Glucose'], 2, 'local_code is empty'],
    ['unconvertible unit', [HEADER, 'S1,X,U/L,2345-7,Glucose'], 2, "local_unit: unit 'U/L' does not convert to mg/dL for LOINC 2345-7"],
    ['duplicate row', [HEADER, 'S1,X,mg/dL,2345-7,Glucose', '', 'S1,X,mmol/L,2345-7,Glucose'], 4, 'site S1 code X is already mapped on line 2'],
    ['open quote', [HEADER, 'S1,X,mg/dL,2345-7,"Glucose'], 2, 'unterminated quoted field'],
  ])('refuses a file with a %s, naming file and line', (_case, lines, line, problem) => {
    const file = overrideFile('bad.csv', lines);
    expect(() => loadLoincMap(file)).toThrow(CsvError);
    expect(() => loadLoincMap(file)).toThrow(`${file}:${line}: ${problem}`);
  });

  it('names a file it cannot read', () => {
    const missing = path.join(directory, 'missing.csv');
    expect(() => loadLoincMap(missing)).toThrow(`cannot read ${missing}`);
  });
});
