import { siteIdOf } from './catalogue.js';
import type { Patient } from './patients.js';
import { weightedLookup, type Rng } from './random.js';
import { REGIONS } from './regions.js';

/** A site and the regions its patients come from. */
export interface Site {
  readonly index: number;
  readonly id: string;
  /** Share of the site's patients living in each region. */
  readonly regionShare: Float64Array;
  readonly regionLookup: Uint16Array;
}

/**
 * Sites are spread around the ring of regions; each serves its home region (60%) and both
 * neighbours (20% each), so four sites already cover all ten regions.
 */
export function buildSite(index: number, sites: number): Site {
  const regions = REGIONS.length;
  const home = Math.floor((index * regions) / sites) % regions;
  const regionShare = new Float64Array(regions);
  regionShare[home] = 0.6;
  regionShare[(home + 1) % regions]! += 0.2;
  regionShare[(home + regions - 1) % regions]! += 0.2;
  return { index, id: siteIdOf(index), regionShare, regionLookup: weightedLookup([...regionShare]) };
}

/** A patient of the site: region by the site's catchment, then anyone from that region's pool. */
export function sitePatient(site: Site, pools: readonly (readonly Patient[])[], rng: Rng): Patient {
  const pool = pools[site.regionLookup[(rng.next() * 256) | 0]!]!;
  return pool[(rng.next() * pool.length) | 0]!;
}
