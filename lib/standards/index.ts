/** Standards of the silver layer: LOINC test codes, UCUM units and PII reduction. */
export { ANY_SITE, isValidLoincCode, loadLoincMap, type LoincMap, type LoincMapping } from './loinc.js';
export { canonicalUnitOf, parseUnit, toCanonical, type CanonicalValue, type ParsedUnit, type UnitError } from './ucum.js';
export { ANALYTES, type Analyte } from './analytes.js';
export {
  AGE_BANDS, UNKNOWN_REGION, ageBand, hashPatientId, loadRegionMap, patientIdHasher, resolvePiiKey, type AgeBand, type RegionMap,
} from './pii.js';
export { CsvError } from './csv.js';
