/**
 * Space-time permutation scan statistic (Kulldorff, Heffernan, Hartman, Assuncao & Mostashari 2005,
 * "A space-time permutation scan statistic for disease outbreak detection", PLoS Med 2(3):e59).
 *
 * Input: case counts c[z][d] per region z and day d (a single test). With C_z and C_d the region
 * and day totals and C the grand total, the expected count of region z on day d, conditioning on
 * both margins, is mu[z][d] = C_z * C_d / C. A cylinder A is a zone (a set of regions; by default
 * each region on its own - no adjacency is used, so clusters are one region) times a window of
 * consecutive days of at most `maxWindow` days (default 7). Prospective mode (default) only scans
 * windows ending on the last day, as in daily surveillance; retrospective mode scans every window.
 * For observed c_A > mu_A, the generalized likelihood ratio (Poisson approximation to the
 * hypergeometric) is
 *   LLR_A = c_A ln(c_A / mu_A) + (C - c_A) ln((C - c_A) / (C - mu_A)),
 * and 0 otherwise. The most likely cluster maximises LLR_A.
 * Inference: Monte Carlo. Each replica permutes the days of the cases (randomly re-pairing the C
 * case regions with the C case days), which keeps both margins; the p-value of a cluster is
 * (1 + #{replicas whose maximum LLR >= its LLR}) / (replicas + 1), replicas = 999 by default, with a
 * seeded PRNG (sfc32; same seed, same p-values). Secondary clusters are further cylinders, in
 * decreasing LLR, sharing no region with a cluster already reported, each compared with the same
 * distribution of the maximum (conservative, as SaTScan does).
 *
 * Early termination (`stopAbove`, SaTScan's sequential Monte Carlo, Besag & Clifford 1991): the
 * replicas stop once so many null maxima reached the most likely cluster's LLR that its p-value,
 * and so every cluster's, cannot end below `stopAbove`; p-values are then (1 + #exceeding) /
 * (replicas run + 1). Whether a cluster is below `stopAbove` is the same as with every replica;
 * a day without a cluster (most series, most days) costs a tenth of the replicas.
 */

export interface ScanOptions {
  /** Longest window in days. Default 7. */
  readonly maxWindow?: number;
  /** Monte Carlo replicas. Default 999. */
  readonly replicas?: number;
  /** PRNG seed. Default 1. */
  readonly seed?: number;
  /** Only windows ending on the last day. Default true. */
  readonly prospective?: boolean;
  /** Candidate zones as lists of region indices. Default: every region alone. */
  readonly zones?: ReadonlyArray<readonly number[]>;
  /** Most clusters reported (the most likely one and secondary ones). Default 5. */
  readonly maxClusters?: number;
  /** Stop the replicas once the most likely cluster's p-value is sure to reach this. Default: run them all. */
  readonly stopAbove?: number;
}

export interface ScanCluster {
  /** Region indices of the zone. */
  readonly regions: readonly number[];
  /** First and last day (0-based, inclusive). */
  readonly start: number;
  readonly end: number;
  readonly observed: number;
  readonly expected: number;
  /** (c / mu) / ((C - c) / (C - mu)). */
  readonly relativeRisk: number;
  readonly llr: number;
  readonly pvalue: number;
}

export interface ScanResult {
  readonly totalCases: number;
  /** Replicas run (fewer than asked when stopped early). */
  readonly replicas: number;
  /** Most likely cluster first; empty when no cylinder has more cases than expected. */
  readonly clusters: ScanCluster[];
  /** 95th percentile of the maximum LLR under the null (the LLR a cluster needs for p < 0.05 roughly); null when stopped early. */
  readonly criticalLlr05: number | null;
}

/** sfc32's state seeded through splitmix32 (and its first 12 outputs skipped). */
function sfc32State(seed: number): Int32Array {
  let s = seed >>> 0;
  const mix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  const state = Int32Array.of(mix(), mix(), mix(), mix() | 1);
  for (let i = 0; i < 12; i++) sfc32(state);
  return state;
}

/** The next unsigned 32-bit output of an sfc32 state [a, b, c, d]. */
function sfc32(state: Int32Array): number {
  const a = state[0]!;
  const b = state[1]!;
  const c = state[2]!;
  const d = state[3]!;
  const t = (((a + b) | 0) + d) | 0;
  state[3] = (d + 1) | 0;
  state[0] = b ^ (b >>> 9);
  state[1] = (c + (c << 3)) | 0;
  state[2] = (((c << 21) | (c >>> 11)) + t) | 0;
  return t >>> 0;
}

/** sfc32 seeded through splitmix32; doubles with 53 random bits. */
export function seededRandom(seed: number): () => number {
  const state = sfc32State(seed);
  return () => (sfc32(state) * 2097152 + (sfc32(state) >>> 11)) / 9007199254740992;
}

/**
 * The LLR of cylinders from integer counts without a logarithm per replica:
 * c ln(c / mu) + (C - c) ln((C - c) / (C - mu)) = T[c] - c ln mu + T[C - c] - (C - c) ln(C - mu),
 * with T[x] = x ln x tabulated for 0..C and the two logarithms of each cylinder's mu computed once.
 */
function llrOfCylinders(expected: Float64Array, total: number): (cylinder: number, c: number) => number {
  const xLogX = new Float64Array(total + 1);
  for (let x = 1; x <= total; x++) xLogX[x] = x * Math.log(x);
  const logMu = expected.map(Math.log);
  const logRestMu = expected.map((mu) => Math.log(total - mu));
  return (i, c) => {
    if (!(c > expected[i]!)) return 0;
    const rest = total - c;
    return xLogX[c]! - c * logMu[i]! + (rest > 0 ? xLogX[rest]! - rest * logRestMu[i]! : 0);
  };
}

/**
 * One Monte Carlo replica's region x relevant-day table: a uniformly random ordered sample of the
 * cases (partial Fisher-Yates over `caseRegion`, left shuffled for the next replica) takes the
 * relevant days' labels in order. One 32-bit draw per case, scaled to 0..n-1: its bias (under
 * n / 2^32) is far below the Monte Carlo error.
 */
function permuteRelevantDays(caseRegion: Int32Array, labels: Int32Array, state: Int32Array, table: Int32Array, R: number): void {
  table.fill(0);
  const total = caseRegion.length;
  // sfc32 (as `sfc32`) with its state in locals for the loop: a third faster than through the array.
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let e = state[3]!;
  let i = 0;
  for (let d = 0; d < R; d++) {
    const end = i + labels[d]!;
    for (; i < end; i++) {
      const t = (((a + b) | 0) + e) | 0;
      e = (e + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (((c << 21) | (c >>> 11)) + t) | 0;
      const left = total - i;
      const j = i + Math.min(left - 1, Math.floor(((t >>> 0) * left) / 4294967296));
      const zj = caseRegion[j]!;
      caseRegion[j] = caseRegion[i]!;
      caseRegion[i] = zj;
      table[zj * R + d]!++;
    }
  }
  state[0] = a;
  state[1] = b;
  state[2] = c;
  state[3] = e;
}

interface Cylinder {
  zone: number;
  start: number;
  end: number;
}

export function spaceTimePermutationScan(counts: ReadonlyArray<ArrayLike<number>>, options: ScanOptions = {}): ScanResult {
  const maxWindow = options.maxWindow ?? 7;
  const replicas = options.replicas ?? 999;
  const prospective = options.prospective ?? true;
  const maxClusters = options.maxClusters ?? 5;
  const Z = counts.length;
  const D = Z > 0 ? counts[0]!.length : 0;
  for (let z = 0; z < Z; z++) {
    const row = counts[z]!;
    if (row.length !== D) throw new RangeError(`scan: region ${z} has ${row.length} days, expected ${D}`);
    for (let d = 0; d < D; d++) {
      const v = row[d]!;
      if (!(Number.isInteger(v) && v >= 0)) throw new RangeError(`scan: count of region ${z} day ${d} must be a non-negative integer`);
    }
  }
  const zones = options.zones ?? Array.from({ length: Z }, (_, z) => [z]);
  for (const zone of zones) for (const z of zone) if (!(Number.isInteger(z) && z >= 0 && z < Z)) throw new RangeError(`scan: zone region ${z} out of range`);
  const regionTotal = new Float64Array(Z);
  const dayTotal = new Float64Array(D);
  let total = 0;
  for (let z = 0; z < Z; z++) {
    for (let d = 0; d < D; d++) {
      const v = counts[z]![d]!;
      regionTotal[z]! += v;
      dayTotal[d]! += v;
      total += v;
    }
  }
  if (total === 0 || D === 0) return { totalCases: total, replicas, clusters: [], criticalLlr05: null };

  // Days that cylinders can cover.
  const firstDay = prospective ? Math.max(0, D - maxWindow) : 0;
  const R = D - firstDay;
  const cylinders: Cylinder[] = [];
  for (let zone = 0; zone < zones.length; zone++) {
    if (prospective) {
      for (let w = 1; w <= Math.min(maxWindow, D); w++) cylinders.push({ zone, start: D - w, end: D - 1 });
    } else {
      for (let s = 0; s < D; s++) for (let e = s; e < Math.min(D, s + maxWindow); e++) cylinders.push({ zone, start: s, end: e });
    }
  }
  const zoneTotal = zones.map((zone) => zone.reduce((a, z) => a + regionTotal[z]!, 0));
  const dayPrefix = new Float64Array(D + 1);
  for (let d = 0; d < D; d++) dayPrefix[d + 1] = dayPrefix[d]! + dayTotal[d]!;
  const expected = Float64Array.from(cylinders, (c) => (zoneTotal[c.zone]! * (dayPrefix[c.end + 1]! - dayPrefix[c.start]!)) / total);
  const llr = llrOfCylinders(expected, total);

  // Zones and cylinders flat in typed arrays: the scan of a table runs once per replica.
  const zoneOffsets = new Int32Array(zones.length + 1);
  zones.forEach((zone, k) => (zoneOffsets[k + 1] = zoneOffsets[k]! + zone.length));
  const zoneRegions = Int32Array.from(zones.flat());
  const cylinderFrom = Int32Array.from(cylinders, (c) => c.zone * (R + 1) + c.start - firstDay);
  const cylinderTo = Int32Array.from(cylinders, (c) => c.zone * (R + 1) + c.end - firstDay + 1);

  /** Max LLR and per-cylinder observed counts of a region x relevant-day table. */
  const zonePrefix = new Float64Array(zones.length * (R + 1));
  // The default (each region its own zone, windows ending on the last day): cylinder i = k * R + w - 1
  // counts the last w days of region k, a running sum with no prefix table.
  const regionSuffixes = prospective && zones.length === Z && zones.every((zone, k) => zone.length === 1 && zone[0] === k);
  const scanTable = (table: Int32Array, keep: Float64Array | null): number => {
    if (regionSuffixes) {
      let best = 0;
      for (let k = 0, i = 0; k < Z; k++) {
        let obs = 0;
        for (let d = R - 1; d >= 0; d--, i++) {
          obs += table[k * R + d]!;
          if (keep) keep[i] = obs;
          const v = llr(i, obs);
          if (v > best) best = v;
        }
      }
      return best;
    }
    for (let k = 0; k < zones.length; k++) {
      const base = k * (R + 1);
      zonePrefix[base] = 0;
      for (let d = 0; d < R; d++) {
        let s = 0;
        for (let m = zoneOffsets[k]!; m < zoneOffsets[k + 1]!; m++) s += table[zoneRegions[m]! * R + d]!;
        zonePrefix[base + d + 1] = zonePrefix[base + d]! + s;
      }
    }
    let best = 0;
    for (let i = 0; i < cylinderFrom.length; i++) {
      const obs = zonePrefix[cylinderTo[i]!]! - zonePrefix[cylinderFrom[i]!]!;
      if (keep) keep[i] = obs;
      const v = llr(i, obs);
      if (v > best) best = v;
    }
    return best;
  };

  const observedTable = new Int32Array(Z * R);
  for (let z = 0; z < Z; z++) for (let d = 0; d < R; d++) observedTable[z * R + d] = counts[z]![firstDay + d]!;
  const observedCounts = new Float64Array(cylinders.length);
  const observedMax = scanTable(observedTable, observedCounts);
  // Null maxima >= the observed maximum after which its p-value cannot end below stopAbove.
  const enough = options.stopAbove === undefined ? Infinity : Math.ceil(options.stopAbove * (replicas + 1)) - 1;

  // Monte Carlo: each case keeps its region; the C day labels are shuffled. Only labels of the
  // relevant days matter (permuteRelevantDays).
  const caseRegion = new Int32Array(total);
  {
    let i = 0;
    for (let z = 0; z < Z; z++) for (let k = 0; k < regionTotal[z]!; k++) caseRegion[i++] = z;
  }
  const relevantLabels = new Int32Array(R);
  for (let d = 0; d < R; d++) relevantLabels[d] = dayTotal[firstDay + d]!;
  const state = sfc32State(options.seed ?? 1);
  const nullMax = new Float64Array(replicas);
  const table = new Int32Array(Z * R);
  let run = 0;
  let exceeding = 0;
  while (run < replicas && exceeding < enough) {
    permuteRelevantDays(caseRegion, relevantLabels, state, table, R);
    const max = scanTable(table, null);
    nullMax[run++] = max;
    if (max >= observedMax) exceeding++;
  }
  const sortedNull = nullMax.slice(0, run).sort();
  const pvalueOf = (v: number) => {
    // Count of null maxima >= v, by binary search in the sorted array.
    let lo = 0;
    let hi = sortedNull.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sortedNull[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    return (1 + (sortedNull.length - lo)) / (run + 1);
  };

  const order = cylinders.map((_, i) => i).filter((i) => observedCounts[i]! > expected[i]!);
  const llrs = new Float64Array(cylinders.length);
  for (const i of order) llrs[i] = llr(i, observedCounts[i]!);
  order.sort((a, b) => llrs[b]! - llrs[a]! || a - b);
  const used = new Set<number>();
  const clusters: ScanCluster[] = [];
  for (const i of order) {
    if (clusters.length >= maxClusters) break;
    const c = cylinders[i]!;
    const regions = zones[c.zone]!;
    if (regions.some((z) => used.has(z))) continue;
    for (const z of regions) used.add(z);
    const obs = observedCounts[i]!;
    const mu = expected[i]!;
    clusters.push({
      regions: [...regions],
      start: c.start,
      end: c.end,
      observed: obs,
      expected: mu,
      relativeRisk: total - mu > 0 && total - obs > 0 ? obs / mu / ((total - obs) / (total - mu)) : Infinity,
      llr: llrs[i]!,
      pvalue: pvalueOf(llrs[i]!),
    });
  }
  const criticalLlr05 = run === replicas && replicas > 0 ? sortedNull[Math.min(replicas - 1, Math.ceil(0.95 * (replicas + 1)) - 1)]! : null;
  return { totalCases: total, replicas: run, clusters, criticalLlr05 };
}
