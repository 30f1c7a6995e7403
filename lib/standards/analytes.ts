/**
 * What the unit normalizer knows about each analyte, as data: the one canonical UCUM unit its
 * values are stored in, the precision they are reported with, and the physical constants that
 * convert between kinds of quantity (mass and substance concentration, equivalents and moles).
 * Canonical units follow the US conventional units of the LOINC code's own property
 * ([Mass/volume] codes in mass units), so a value never changes the LOINC code it belongs to.
 */
export interface Analyte {
  readonly loinc: string;
  readonly name: string;
  /** Canonical UCUM unit; null for qualitative (Positive/Negative) tests. */
  readonly canonicalUnit: string | null;
  /** Decimals canonical values are rounded to, so one result reads the same whatever unit it came in. */
  readonly decimals: number;
  /** g/mol: converts mass concentration to substance concentration. */
  readonly molarMass?: number;
  /** Charge number: converts equivalents (mEq/L) to moles. */
  readonly valence?: number;
  /** An enzyme: "IU" then means the enzyme unit U (umol/min), not a WHO arbitrary unit. */
  readonly enzyme?: boolean;
  /**
   * False when the canonical unit's dimension does not identify the measurement scale: HbA1c in
   * NGSP % and IFCC mmol/mol are both ratios, but only the master equation relates them.
   */
  readonly convertByDimension?: boolean;
  /** Units converted by a stated linear equation: canonical = value * scale + offset. */
  readonly equations?: readonly UnitEquation[];
}

export interface UnitEquation {
  readonly unit: string;
  readonly scale: number;
  readonly offset: number;
}

export const ANALYTES: readonly Analyte[] = [
  { loinc: '2345-7', name: 'Glucose', canonicalUnit: 'mg/dL', decimals: 0, molarMass: 180.16 },
  { loinc: '2951-2', name: 'Sodium', canonicalUnit: 'mmol/L', decimals: 0, molarMass: 22.99, valence: 1 },
  { loinc: '2823-3', name: 'Potassium', canonicalUnit: 'mmol/L', decimals: 1, molarMass: 39.098, valence: 1 },
  { loinc: '2075-0', name: 'Chloride', canonicalUnit: 'mmol/L', decimals: 0, molarMass: 35.45, valence: 1 },
  { loinc: '2160-0', name: 'Creatinine', canonicalUnit: 'mg/dL', decimals: 2, molarMass: 113.12 },
  // Urea nitrogen is reported as the nitrogen of urea: 2 N per molecule, 2 x 14.007 g/mol.
  { loinc: '3094-0', name: 'Urea nitrogen', canonicalUnit: 'mg/dL', decimals: 0, molarMass: 28.014 },
  { loinc: '17861-6', name: 'Calcium', canonicalUnit: 'mg/dL', decimals: 1, molarMass: 40.08, valence: 2 },
  { loinc: '1742-6', name: 'ALT', canonicalUnit: 'U/L', decimals: 0, enzyme: true },
  { loinc: '1920-8', name: 'AST', canonicalUnit: 'U/L', decimals: 0, enzyme: true },
  { loinc: '2093-3', name: 'Cholesterol', canonicalUnit: 'mg/dL', decimals: 0, molarMass: 386.65 },
  // Triglycerides are converted as triolein, the convention behind the 88.57 factor.
  { loinc: '2571-8', name: 'Triglyceride', canonicalUnit: 'mg/dL', decimals: 0, molarMass: 885.7 },
  { loinc: '1988-5', name: 'C reactive protein', canonicalUnit: 'mg/L', decimals: 1 },
  // Hemoglobin in mmol/L (as in the Netherlands) counts the monomer, 16114.5 g/mol.
  { loinc: '718-7', name: 'Hemoglobin', canonicalUnit: 'g/dL', decimals: 1, molarMass: 16_114.5 },
  { loinc: '6690-2', name: 'Leukocytes', canonicalUnit: '10*3/uL', decimals: 1 },
  { loinc: '777-3', name: 'Platelets', canonicalUnit: '10*3/uL', decimals: 0 },
  {
    loinc: '4548-4', name: 'Hemoglobin A1c', canonicalUnit: '%', decimals: 1, convertByDimension: false,
    // IFCC-NGSP master equation: NGSP % = IFCC mmol/mol / 10.929 + 2.15.
    equations: [{ unit: 'mmol/mol', scale: 1 / 10.929, offset: 2.15 }],
  },
  { loinc: '3016-3', name: 'Thyrotropin', canonicalUnit: 'm[IU]/L', decimals: 2 },
  { loinc: '10839-9', name: 'Troponin I', canonicalUnit: 'ng/mL', decimals: 3 },
  { loinc: '2276-4', name: 'Ferritin', canonicalUnit: 'ng/mL', decimals: 0 },
  { loinc: '78012-2', name: 'Strep A antigen', canonicalUnit: null, decimals: 0 },
  { loinc: '92142-9', name: 'Influenza A RNA', canonicalUnit: null, decimals: 0 },
  { loinc: '94500-6', name: 'SARS-CoV-2 RNA', canonicalUnit: null, decimals: 0 },
  { loinc: '92131-2', name: 'RSV RNA', canonicalUnit: null, decimals: 0 },
];
