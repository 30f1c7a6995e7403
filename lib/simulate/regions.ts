/**
 * Regions of the simulated country. A postal code is five digits; its first two digits
 * (the prefix) determine the region, so the silver layer can reduce a postal code to a
 * region (k-anonymous) before anything leaves the PII boundary.
 */
export interface Region {
  readonly id: string;
  readonly name: string;
  /** Inclusive ranges of the two-digit postal-code prefix. */
  readonly prefixes: readonly (readonly [number, number])[];
  /** Relative population, used for how many patients live there. */
  readonly population: number;
}

export const REGIONS: readonly Region[] = [
  { id: 'R01', name: 'Capital', prefixes: [[10, 14]], population: 18 },
  { id: 'R02', name: 'North', prefixes: [[15, 24]], population: 9 },
  { id: 'R03', name: 'Northeast', prefixes: [[25, 34]], population: 8 },
  { id: 'R04', name: 'East', prefixes: [[35, 44]], population: 11 },
  { id: 'R05', name: 'Southeast', prefixes: [[45, 54]], population: 10 },
  { id: 'R06', name: 'South', prefixes: [[55, 64]], population: 12 },
  { id: 'R07', name: 'Southwest', prefixes: [[65, 72]], population: 7 },
  { id: 'R08', name: 'West', prefixes: [[73, 82]], population: 9 },
  { id: 'R09', name: 'Northwest', prefixes: [[83, 92]], population: 6 },
  { id: 'R10', name: 'Central', prefixes: [[0, 9], [93, 99]], population: 10 },
];

const REGION_BY_PREFIX: readonly (Region | undefined)[] = (() => {
  const byPrefix = new Array<Region | undefined>(100);
  for (const region of REGIONS) {
    for (const [from, to] of region.prefixes) for (let p = from; p <= to; p++) byPrefix[p] = region;
  }
  return byPrefix;
})();

const POSTAL_CODE = /^\d{5}$/;

/** Region id of a postal code, or null when the code is missing or malformed. */
export function regionOfPostalCode(code: string | null | undefined): string | null {
  if (typeof code !== 'string') return null;
  const trimmed = code.trim();
  if (!POSTAL_CODE.test(trimmed)) return null;
  return REGION_BY_PREFIX[Number(trimmed.slice(0, 2))]?.id ?? null;
}

/** A valid postal code in `region`, from two uniform draws in [0, 1). */
export function postalCodeIn(region: Region, prefixDraw: number, localDraw: number): string {
  const sizes = region.prefixes.map(([from, to]) => to - from + 1);
  let slot = Math.floor(prefixDraw * sizes.reduce((a, b) => a + b, 0));
  for (const [from, to] of region.prefixes) {
    const size = to - from + 1;
    if (slot < size) return String((from + slot) * 1000 + Math.floor(localDraw * 1000)).padStart(5, '0');
    slot -= size;
  }
  throw new Error(`no postal prefix for region ${region.id}`);
}
