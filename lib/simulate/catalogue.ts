/**
 * The simulated test catalogue: ~20 common tests with their real LOINC codes, canonical UCUM
 * units, and what each site calls them locally. Sites follow one of four LIMS conventions
 * (site index modulo 4), so local codes, names and units differ between sites; the silver
 * layer maps (site, local code) back to LOINC and the canonical unit with `siteTestCodes`.
 */

export type DeviceCategory = 'chemistry' | 'hematology' | 'immunoassay' | 'molecular';

/** A local unit and how to convert it: canonical value = local value * toCanonical. */
export interface UnitVariant {
  readonly unit: string;
  readonly toCanonical: number;
  readonly decimals: number;
}

/** Seasonal positivity of an infectious test: base + amplitude * (cosine bump at peak day)^2. */
export interface Seasonality {
  readonly base: number;
  readonly amplitude: number;
  readonly peakDayOfYear: number;
}

export interface LabTest {
  readonly key: string;
  readonly name: string;
  readonly loinc: string;
  readonly loincName: string;
  /** Canonical UCUM unit; null for qualitative (Positive/Negative) tests. */
  readonly ucumUnit: string | null;
  readonly category: DeviceCategory;
  readonly mnemonic: string;
  readonly altMnemonic: string;
  /** Relative ordering frequency among the tests of one device. */
  readonly popularity: number;
  /** Local units: conventional, SI, and an alternate spelling used by some sites. */
  readonly units: { readonly conventional: UnitVariant; readonly si: UnitVariant; readonly alternate?: UnitVariant } | null;
  /** Reference interval in the canonical unit. */
  readonly referenceLow: number | null;
  readonly referenceHigh: number | null;
  /** Patient population (canonical unit): log-normal around `median`, a share shifted by `abnormalFactor`. */
  readonly median: number;
  readonly logSd: number;
  readonly abnormalShare: number;
  readonly abnormalFactor: number;
  /** Analytical coefficient of variation: the "SD" of QC and of calibration drift. */
  readonly analyticCv: number;
  /** Control material targets (canonical unit; Ct values or signal ratios for qualitative tests). */
  readonly qcTargets: readonly number[];
  readonly seasonality: Seasonality | null;
}

const same = (unit: string, decimals: number): UnitVariant => ({ unit, toCanonical: 1, decimals });
const unitsOf = (conventional: UnitVariant, si: UnitVariant = conventional, alternate?: UnitVariant): LabTest['units'] =>
  alternate ? { conventional, si, alternate } : { conventional, si };

interface Quantitative {
  key: string; name: string; loinc: string; loincName: string; ucumUnit: string; category: DeviceCategory;
  mnemonic: string; altMnemonic: string; popularity: number; units: LabTest['units'];
  referenceLow: number; referenceHigh: number; median: number; logSd: number;
  abnormalShare: number; abnormalFactor: number; analyticCv: number; qcTargets: number[];
}

const quantitative = (t: Quantitative): LabTest => ({ ...t, seasonality: null });

interface Qualitative {
  key: string; name: string; loinc: string; loincName: string; category: DeviceCategory;
  mnemonic: string; altMnemonic: string; popularity: number; seasonality: Seasonality; qcTargets: number[]; analyticCv: number;
}

const qualitative = (t: Qualitative): LabTest => ({
  ...t, ucumUnit: null, units: null, referenceLow: null, referenceHigh: null,
  median: 0, logSd: 0, abnormalShare: 0, abnormalFactor: 1,
});

export const TEST_CATALOGUE: readonly LabTest[] = [
  quantitative({
    key: 'glucose', name: 'Glucose', loinc: '2345-7', loincName: 'Glucose [Mass/volume] in Serum or Plasma', ucumUnit: 'mg/dL',
    category: 'chemistry', mnemonic: 'GLU', altMnemonic: 'GLUC', popularity: 10,
    units: unitsOf(same('mg/dL', 0), { unit: 'mmol/L', toCanonical: 18.016, decimals: 1 }),
    referenceLow: 70, referenceHigh: 99, median: 98, logSd: 0.12, abnormalShare: 0.18, abnormalFactor: 1.7, analyticCv: 0.02,
    qcTargets: [55, 120, 300],
  }),
  quantitative({
    key: 'sodium', name: 'Sodium', loinc: '2951-2', loincName: 'Sodium [Moles/volume] in Serum or Plasma', ucumUnit: 'mmol/L',
    category: 'chemistry', mnemonic: 'NA', altMnemonic: 'SOD', popularity: 8,
    units: unitsOf(same('mmol/L', 0), same('mmol/L', 0), same('mEq/L', 0)),
    referenceLow: 136, referenceHigh: 145, median: 140, logSd: 0.018, abnormalShare: 0.08, abnormalFactor: 0.94, analyticCv: 0.01,
    qcTargets: [120, 140, 160],
  }),
  quantitative({
    key: 'potassium', name: 'Potassium', loinc: '2823-3', loincName: 'Potassium [Moles/volume] in Serum or Plasma', ucumUnit: 'mmol/L',
    category: 'chemistry', mnemonic: 'K', altMnemonic: 'POT', popularity: 8,
    units: unitsOf(same('mmol/L', 1), same('mmol/L', 1), same('mEq/L', 1)),
    referenceLow: 3.5, referenceHigh: 5.1, median: 4.2, logSd: 0.08, abnormalShare: 0.1, abnormalFactor: 1.25, analyticCv: 0.015,
    qcTargets: [3.0, 4.5, 6.5],
  }),
  quantitative({
    key: 'chloride', name: 'Chloride', loinc: '2075-0', loincName: 'Chloride [Moles/volume] in Serum or Plasma', ucumUnit: 'mmol/L',
    category: 'chemistry', mnemonic: 'CL', altMnemonic: 'CHL', popularity: 4,
    units: unitsOf(same('mmol/L', 0), same('mmol/L', 0), same('mEq/L', 0)),
    referenceLow: 98, referenceHigh: 107, median: 102, logSd: 0.025, abnormalShare: 0.05, abnormalFactor: 0.93, analyticCv: 0.012,
    qcTargets: [85, 102, 120],
  }),
  quantitative({
    key: 'creatinine', name: 'Creatinine', loinc: '2160-0', loincName: 'Creatinine [Mass/volume] in Serum or Plasma', ucumUnit: 'mg/dL',
    category: 'chemistry', mnemonic: 'CREA', altMnemonic: 'CRE', popularity: 8,
    units: unitsOf(same('mg/dL', 2), { unit: 'umol/L', toCanonical: 1 / 88.42, decimals: 0 }),
    referenceLow: 0.6, referenceHigh: 1.2, median: 0.9, logSd: 0.22, abnormalShare: 0.12, abnormalFactor: 2.2, analyticCv: 0.03,
    qcTargets: [0.7, 2.0, 6.0],
  }),
  quantitative({
    key: 'urea_nitrogen', name: 'Urea nitrogen', loinc: '3094-0', loincName: 'Urea nitrogen [Mass/volume] in Serum or Plasma', ucumUnit: 'mg/dL',
    category: 'chemistry', mnemonic: 'BUN', altMnemonic: 'UREA', popularity: 5,
    units: unitsOf(same('mg/dL', 0), { unit: 'mmol/L', toCanonical: 2.801, decimals: 1 }),
    referenceLow: 7, referenceHigh: 20, median: 14, logSd: 0.3, abnormalShare: 0.12, abnormalFactor: 2, analyticCv: 0.03,
    qcTargets: [8, 30, 70],
  }),
  quantitative({
    key: 'calcium', name: 'Calcium', loinc: '17861-6', loincName: 'Calcium [Mass/volume] in Serum or Plasma', ucumUnit: 'mg/dL',
    category: 'chemistry', mnemonic: 'CA', altMnemonic: 'CALC', popularity: 4,
    units: unitsOf(same('mg/dL', 1), { unit: 'mmol/L', toCanonical: 4.008, decimals: 2 }),
    referenceLow: 8.6, referenceHigh: 10.3, median: 9.4, logSd: 0.05, abnormalShare: 0.05, abnormalFactor: 1.12, analyticCv: 0.015,
    qcTargets: [7.0, 9.5, 12.5],
  }),
  quantitative({
    key: 'alt', name: 'ALT', loinc: '1742-6', loincName: 'Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma', ucumUnit: 'U/L',
    category: 'chemistry', mnemonic: 'ALT', altMnemonic: 'SGPT', popularity: 4,
    units: unitsOf(same('U/L', 0)),
    referenceLow: 7, referenceHigh: 56, median: 22, logSd: 0.4, abnormalShare: 0.1, abnormalFactor: 3, analyticCv: 0.04,
    qcTargets: [25, 90, 250],
  }),
  quantitative({
    key: 'ast', name: 'AST', loinc: '1920-8', loincName: 'Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma', ucumUnit: 'U/L',
    category: 'chemistry', mnemonic: 'AST', altMnemonic: 'SGOT', popularity: 3,
    units: unitsOf(same('U/L', 0)),
    referenceLow: 10, referenceHigh: 40, median: 24, logSd: 0.35, abnormalShare: 0.1, abnormalFactor: 2.5, analyticCv: 0.04,
    qcTargets: [30, 100, 260],
  }),
  quantitative({
    key: 'cholesterol', name: 'Cholesterol', loinc: '2093-3', loincName: 'Cholesterol [Mass/volume] in Serum or Plasma', ucumUnit: 'mg/dL',
    category: 'chemistry', mnemonic: 'CHOL', altMnemonic: 'TCHOL', popularity: 3,
    units: unitsOf(same('mg/dL', 0), { unit: 'mmol/L', toCanonical: 38.67, decimals: 2 }),
    referenceLow: 100, referenceHigh: 200, median: 190, logSd: 0.18, abnormalShare: 0.2, abnormalFactor: 1.25, analyticCv: 0.02,
    qcTargets: [110, 190, 280],
  }),
  quantitative({
    key: 'triglyceride', name: 'Triglyceride', loinc: '2571-8', loincName: 'Triglyceride [Mass/volume] in Serum or Plasma', ucumUnit: 'mg/dL',
    category: 'chemistry', mnemonic: 'TRIG', altMnemonic: 'TG', popularity: 2,
    units: unitsOf(same('mg/dL', 0), { unit: 'mmol/L', toCanonical: 88.57, decimals: 2 }),
    referenceLow: 30, referenceHigh: 150, median: 120, logSd: 0.45, abnormalShare: 0.15, abnormalFactor: 1.8, analyticCv: 0.03,
    qcTargets: [80, 160, 300],
  }),
  quantitative({
    key: 'crp', name: 'C-reactive protein', loinc: '1988-5', loincName: 'C reactive protein [Mass/volume] in Serum or Plasma', ucumUnit: 'mg/L',
    category: 'chemistry', mnemonic: 'CRP', altMnemonic: 'CRPS', popularity: 4,
    units: unitsOf(same('mg/L', 1), same('mg/L', 1), { unit: 'mg/dL', toCanonical: 10, decimals: 2 }),
    referenceLow: 0, referenceHigh: 5, median: 2.5, logSd: 1.0, abnormalShare: 0.15, abnormalFactor: 15, analyticCv: 0.05,
    qcTargets: [3, 20, 80],
  }),
  quantitative({
    key: 'hemoglobin', name: 'Hemoglobin', loinc: '718-7', loincName: 'Hemoglobin [Mass/volume] in Blood', ucumUnit: 'g/dL',
    category: 'hematology', mnemonic: 'HGB', altMnemonic: 'HB', popularity: 10,
    units: unitsOf(same('g/dL', 1), { unit: 'g/L', toCanonical: 0.1, decimals: 0 }),
    referenceLow: 12, referenceHigh: 17.5, median: 13.8, logSd: 0.1, abnormalShare: 0.12, abnormalFactor: 0.72, analyticCv: 0.01,
    qcTargets: [6, 12, 17],
  }),
  quantitative({
    key: 'wbc', name: 'White blood cells', loinc: '6690-2', loincName: 'Leukocytes [#/volume] in Blood by Automated count', ucumUnit: '10*3/uL',
    category: 'hematology', mnemonic: 'WBC', altMnemonic: 'LEUK', popularity: 10,
    units: unitsOf(same('10*3/uL', 1), same('10*9/L', 1), same('K/uL', 1)),
    referenceLow: 4.5, referenceHigh: 11, median: 7, logSd: 0.28, abnormalShare: 0.1, abnormalFactor: 2, analyticCv: 0.03,
    qcTargets: [3, 8, 18],
  }),
  quantitative({
    key: 'platelets', name: 'Platelets', loinc: '777-3', loincName: 'Platelets [#/volume] in Blood by Automated count', ucumUnit: '10*3/uL',
    category: 'hematology', mnemonic: 'PLT', altMnemonic: 'THRO', popularity: 9,
    units: unitsOf(same('10*3/uL', 0), same('10*9/L', 0), same('K/uL', 0)),
    referenceLow: 150, referenceHigh: 450, median: 250, logSd: 0.25, abnormalShare: 0.08, abnormalFactor: 0.4, analyticCv: 0.04,
    qcTargets: [70, 230, 500],
  }),
  quantitative({
    key: 'hba1c', name: 'Hemoglobin A1c', loinc: '4548-4', loincName: 'Hemoglobin A1c/Hemoglobin.total in Blood', ucumUnit: '%',
    category: 'hematology', mnemonic: 'HBA1C', altMnemonic: 'A1C', popularity: 3,
    units: unitsOf(same('%', 1)),
    referenceLow: 4, referenceHigh: 5.6, median: 5.5, logSd: 0.08, abnormalShare: 0.25, abnormalFactor: 1.4, analyticCv: 0.02,
    qcTargets: [5.3, 9.5],
  }),
  quantitative({
    key: 'tsh', name: 'TSH', loinc: '3016-3', loincName: 'Thyrotropin [Units/volume] in Serum or Plasma', ucumUnit: 'm[IU]/L',
    category: 'immunoassay', mnemonic: 'TSH', altMnemonic: 'TSH3', popularity: 5,
    units: unitsOf(same('m[IU]/L', 2), same('mIU/L', 2), same('uIU/mL', 2)),
    referenceLow: 0.4, referenceHigh: 4, median: 1.8, logSd: 0.55, abnormalShare: 0.08, abnormalFactor: 4, analyticCv: 0.05,
    qcTargets: [0.3, 4.5, 30],
  }),
  quantitative({
    key: 'troponin_i', name: 'Troponin I', loinc: '10839-9', loincName: 'Troponin I.cardiac [Mass/volume] in Serum or Plasma', ucumUnit: 'ng/mL',
    category: 'immunoassay', mnemonic: 'TNI', altMnemonic: 'TROP', popularity: 4,
    units: unitsOf(same('ng/mL', 3), { unit: 'ng/L', toCanonical: 0.001, decimals: 0 }),
    referenceLow: 0, referenceHigh: 0.04, median: 0.01, logSd: 0.6, abnormalShare: 0.06, abnormalFactor: 40, analyticCv: 0.08,
    qcTargets: [0.05, 1, 15],
  }),
  quantitative({
    key: 'ferritin', name: 'Ferritin', loinc: '2276-4', loincName: 'Ferritin [Mass/volume] in Serum or Plasma', ucumUnit: 'ng/mL',
    category: 'immunoassay', mnemonic: 'FERR', altMnemonic: 'FER', popularity: 3,
    units: unitsOf(same('ng/mL', 0), same('ug/L', 0)),
    referenceLow: 24, referenceHigh: 336, median: 110, logSd: 0.7, abnormalShare: 0.1, abnormalFactor: 0.15, analyticCv: 0.05,
    qcTargets: [20, 150, 500],
  }),
  qualitative({
    key: 'strep_a', name: 'Strep A rapid antigen', loinc: '78012-2', loincName: 'Streptococcus pyogenes Ag [Presence] in Throat by Rapid immunoassay',
    category: 'immunoassay', mnemonic: 'STREPA', altMnemonic: 'GASAG', popularity: 3,
    seasonality: { base: 0.1, amplitude: 0.12, peakDayOfYear: 75 }, qcTargets: [4, 0.3], analyticCv: 0.08,
  }),
  qualitative({
    key: 'influenza_a', name: 'Influenza A PCR', loinc: '92142-9', loincName: 'Influenza virus A RNA [Presence] in Respiratory system specimen by NAA with probe detection',
    category: 'molecular', mnemonic: 'FLUA', altMnemonic: 'IAV', popularity: 6,
    seasonality: { base: 0.03, amplitude: 0.22, peakDayOfYear: 30 }, qcTargets: [32, 27], analyticCv: 0.03,
  }),
  qualitative({
    key: 'sars_cov_2', name: 'SARS-CoV-2 PCR', loinc: '94500-6', loincName: 'SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory system specimen by NAA with probe detection',
    category: 'molecular', mnemonic: 'COV2', altMnemonic: 'SCOV2', popularity: 5,
    seasonality: { base: 0.05, amplitude: 0.06, peakDayOfYear: 10 }, qcTargets: [32, 27], analyticCv: 0.03,
  }),
  qualitative({
    key: 'rsv', name: 'RSV PCR', loinc: '92131-2', loincName: 'Respiratory syncytial virus RNA [Presence] in Respiratory system specimen by NAA with probe detection',
    category: 'molecular', mnemonic: 'RSV', altMnemonic: 'RSVPCR', popularity: 4,
    seasonality: { base: 0.02, amplitude: 0.15, peakDayOfYear: 355 }, qcTargets: [32, 27], analyticCv: 0.03,
  }),
];

/** Codes some LIMS users type by hand; they map to nothing in the catalogue. */
export const UNKNOWN_TEST_CODES: readonly string[] = ['MISC', 'SENDOUT', 'XX999', 'MANUAL1', 'ADDON'];

/** How a site's LIMS names and measures tests. */
interface SiteConvention {
  readonly units: 'conventional' | 'si' | 'alternate';
  readonly code: (test: LabTest, ordinal: number) => string;
  readonly upperCaseNames: boolean;
}

const DEPARTMENT: Record<DeviceCategory, { prefix: string; base: number }> = {
  chemistry: { prefix: 'CH', base: 1000 },
  hematology: { prefix: 'HE', base: 2000 },
  immunoassay: { prefix: 'IM', base: 3000 },
  molecular: { prefix: 'MB', base: 4000 },
};

const SITE_CONVENTIONS: readonly SiteConvention[] = [
  { units: 'conventional', code: (t) => t.mnemonic, upperCaseNames: false },
  { units: 'si', code: (t, ordinal) => String(DEPARTMENT[t.category].base + 10 * ordinal), upperCaseNames: true },
  { units: 'alternate', code: (t) => `${DEPARTMENT[t.category].prefix}-${t.mnemonic}`, upperCaseNames: false },
  { units: 'si', code: (t) => t.altMnemonic, upperCaseNames: true },
];

export function siteIdOf(siteIndex: number): string {
  return `SITE${String(siteIndex + 1).padStart(2, '0')}`;
}

/** What a site's LIMS shows for one catalogue test. */
export interface LocalTest {
  readonly test: LabTest;
  readonly code: string;
  readonly name: string;
  /** Null for qualitative tests. */
  readonly unit: UnitVariant | null;
  readonly referenceLow: number | null;
  readonly referenceHigh: number | null;
}

function roundTo(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

export function localTest(test: LabTest, siteIndex: number): LocalTest {
  const convention = SITE_CONVENTIONS[siteIndex % SITE_CONVENTIONS.length]!;
  const ordinal = TEST_CATALOGUE.filter((t) => t.category === test.category).indexOf(test) + 1;
  const unit = test.units ? (test.units[convention.units] ?? test.units.conventional) : null;
  const reference = (canonical: number | null): number | null =>
    canonical === null || unit === null ? null : roundTo(canonical / unit.toCanonical, unit.decimals);
  return {
    test,
    code: convention.code(test, ordinal),
    name: convention.upperCaseNames ? test.name.toUpperCase() : test.name,
    unit,
    referenceLow: reference(test.referenceLow),
    referenceHigh: reference(test.referenceHigh),
  };
}

/** One row of the (site, local code) -> LOINC mapping the silver layer needs. */
export interface SiteTestCode {
  readonly site_id: string;
  readonly local_code: string;
  readonly local_name: string;
  readonly local_unit: string | null;
  readonly loinc: string;
  readonly loinc_name: string;
  readonly ucum_unit: string | null;
  /** canonical value = local value * to_canonical (1 for qualitative tests). */
  readonly to_canonical: number;
  readonly test_key: string;
}

export function siteTestCodes(sites: number): SiteTestCode[] {
  const codes: SiteTestCode[] = [];
  for (let site = 0; site < sites; site++) {
    for (const test of TEST_CATALOGUE) {
      const local = localTest(test, site);
      codes.push({
        site_id: siteIdOf(site),
        local_code: local.code,
        local_name: local.name,
        local_unit: local.unit?.unit ?? null,
        loinc: test.loinc,
        loinc_name: test.loincName,
        ucum_unit: test.ucumUnit,
        to_canonical: local.unit?.toCanonical ?? 1,
        test_key: test.key,
      });
    }
  }
  return codes;
}

export function testByKey(key: string): LabTest {
  const test = TEST_CATALOGUE.find((t) => t.key === key);
  if (!test) throw new Error(`unknown catalogue test key "${key}"`);
  return test;
}
