import { sortFloat64 } from './sort.js';

/**
 * Two-sample Kolmogorov-Smirnov test, two-sided, as scipy.stats.ks_2samp(method='auto',
 * alternative='two-sided') computes it (scipy 1.17, scipy/stats/_stats_py.py, _ksstats.py,
 * _stats_pythran.py and xsf's cephes/kolmogorov.h):
 *
 * - statistic D = max |F1(x) - F2(x)| over the pooled sample, ECDFs counted with ties on the
 *   right (numpy searchsorted side='right'), each difference evaluated as c1/n1 - c2/n2;
 * - 'auto' chooses the exact distribution when max(n1, n2) <= 10000, the asymptotic one otherwise;
 * - exact: D is snapped to h/lcm(n1, n2) with h = round(D * lcm) (half to even), then
 *   n1 == n2: `_compute_prob_outside_square` (Hodges' alternating sum, Horner form);
 *   n1 != n2: `_compute_outer_prob_inside_method` (Hodges' lattice-path "inside" count with
 *   Viehmann's recursion for 1 - p, arXiv:2102.08037);
 * - asymptotic: kstwo.sf(D, round(n1 n2 / (n1 + n2))), the exact one-sample two-sided
 *   Kolmogorov distribution with Simard & L'Ecuyer's (2011) choice of Ruben-Gambino formulas,
 *   the Durbin matrix (Marsaglia-Tsang-Wang), Pomeranz's recursion, Pelz-Good's approximation
 *   and 2 x Smirnov's one-sided distribution (Birnbaum-Tingey sum);
 * - p clipped to [0, 1].
 *
 * Agreement with scipy: within 1e-9 absolute (and ~1e-12 relative in practice) on the fixtures
 * in test/fixtures/monitoring/ks.json. Where scipy uses long double (Durbin matrix scaling) or
 * double-double (Smirnov's sum) this module uses doubles and a log-space positive sum; the
 * differences are rounding-level.
 */

export interface KsResult {
  /** D: the largest absolute difference between the two empirical CDFs. */
  readonly statistic: number;
  readonly pvalue: number;
  /** scipy's mode: 'exact' (max(n1, n2) <= 10000) or 'asymp'. */
  readonly method: 'exact' | 'asymp';
  /**
   * True when, in exact mode, the exact p-value is provably below KS_TAIL_P (1e-10) and its
   * asymptotic value (capped at 1e-10) is reported instead (unequal sizes only, unless `exactTail`).
   */
  readonly tail: boolean;
  readonly n1: number;
  readonly n2: number;
}

/** scipy's MAX_AUTO_N: 'auto' is exact when both samples are at most this large. */
export const KS_MAX_AUTO_N = 10000;

/** Below this the exact p-value of unequal samples may be replaced by its asymptotic value. */
export const KS_TAIL_P = 1e-10;

/**
 * Upper bound on the exact two-sample p-value Pr(D_{n1,n2} >= d) under H0: D >= d needs one of
 * the two ECDFs at distance >= d/2 from the common F, and by the Dvoretzky-Kiefer-Wolfowitz
 * inequality with Massart's constant, Pr(sup|F_n - F| > e) <= 2 exp(-2 n e^2)
 * (e slightly reduced for '>=').
 */
export function ksTailBound(n1: number, n2: number, d: number): number {
  const e = (d / 2) * (1 - 1e-9);
  return 2 * Math.exp(-2 * n1 * e * e) + 2 * Math.exp(-2 * n2 * e * e);
}

/** numpy's round: half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** A sorted copy (radix sort, sort.ts); samples already in order (the drift report sorts each once for KS and PSI) skip the sort. */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(values as ArrayLike<number>);
  for (let i = 1; i < out.length; i++) {
    // NaN compares false both ways: an unsorted pair or a NaN sends the copy to the sort.
    if (!(out[i - 1]! <= out[i]!)) return sortFloat64(out);
  }
  return out;
}

/**
 * Two-sample two-sided KS test as scipy.stats.ks_2samp(a, b) (method 'auto').
 * Throws on an empty sample; any NaN gives NaN statistic and p-value (scipy's nan_policy 'propagate').
 * For unequal sizes the exact p-value costs O(n1 n2 D); when it is provably below 1e-10
 * (`ksTailBound`) the asymptotic value (capped at 1e-10) is returned instead, which stays within
 * 1e-10 of scipy's; pass `exactTail: true` to always count lattice paths as scipy does.
 */
export interface KsOptions {
  /** scipy's method: 'auto' (default), 'exact' or 'asymp'. */
  readonly method?: 'auto' | 'exact' | 'asymp';
  /** Count lattice paths even far in the tail (scipy's value to the last digit; slow for large samples). */
  readonly exactTail?: boolean;
}

export function ks2samp(sample1: ArrayLike<number>, sample2: ArrayLike<number>, options: KsOptions = {}): KsResult {
  const method = options.method ?? 'auto';
  const exactTail = options.exactTail ?? false;
  const n1 = sample1.length;
  const n2 = sample2.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('ks2samp: both samples must be non-empty');
  const a = sortedCopy(sample1);
  const b = sortedCopy(sample2);
  // Float64Array.sort puts NaN last.
  if (Number.isNaN(a[n1 - 1]!) || Number.isNaN(b[n2 - 1]!)) {
    return { statistic: NaN, pvalue: NaN, method: method === 'asymp' ? 'asymp' : 'exact', tail: false, n1, n2 };
  }
  let maxS = -Infinity;
  let minS = Infinity;
  let i = 0;
  let j = 0;
  while (i < n1 || j < n2) {
    const va = i < n1 ? a[i]! : Infinity;
    const vb = j < n2 ? b[j]! : Infinity;
    const v = va <= vb ? va : vb;
    while (i < n1 && a[i]! <= v) i++;
    while (j < n2 && b[j]! <= v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxS) maxS = diff;
    if (diff < minS) minS = diff;
  }
  const minSClipped = Math.min(Math.max(-minS, 0), 1);
  let d = minSClipped > maxS ? minSClipped : maxS;
  const g = gcd(n1, n2);
  let mode: 'exact' | 'asymp' = method === 'auto' ? (Math.max(n1, n2) <= KS_MAX_AUTO_N ? 'exact' : 'asymp') : method;
  if (method === 'exact' && n1 / g >= 2147483647 / (n2 / g)) mode = 'asymp';
  let prob = NaN;
  if (mode === 'exact') {
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    d = h / lcm;
    if (h === 0) prob = 1;
    else if (n1 === n2) prob = probOutsideSquare(n1, h);
    else if (exactTail || ksTailBound(n1, n2, d) >= KS_TAIL_P) prob = outerProbInsideMethod(n1, n2, g, h);
    else {
      // The lattice-path count costs O(n1 * n2 * D); far in the tail the answer is known to be
      // below KS_TAIL_P, and the asymptotic value is used (see ksTailBound).
      prob = kstwoSf(d, roundHalfEven((n1 * n2) / (n1 + n2)));
      if (prob >= KS_TAIL_P) prob = KS_TAIL_P;
      return { statistic: d, pvalue: Math.min(Math.max(prob, 0), 1), method: 'exact', tail: true, n1, n2 };
    }
    if (!(prob >= 0 && prob <= 1)) mode = 'asymp';
  }
  if (mode === 'asymp') {
    const m = Math.max(n1, n2);
    const n = Math.min(n1, n2);
    const en = (m * n) / (m + n);
    prob = kstwoSf(d, roundHalfEven(en));
  }
  return { statistic: d, pvalue: Math.min(Math.max(prob, 0), 1), method: mode, tail: false, n1, n2 };
}

/** scipy `_compute_prob_outside_square(n, h)`: Pr(D_{n,n} >= h/n). */
export function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
    k--;
  }
  return 2 * P;
}

/** scipy `_compute_outer_prob_inside_method(m, n, g, h)`: Pr(D_{m,n} >= h/lcm(m, n)). */
export function outerProbInsideMethod(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    minj = Math.min(minj, n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    const shift = minj - lastminj;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const jIdx = jj + minj;
      val = (A[jj + shift]! * i + val * jIdx) / (i + jIdx);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, Math.min(maxj - minj + (lastlen - curlen), lenA));
  }
  return A[maxj - minj - 1]!;
}

// ---------------------------------------------------------------------------------------------
// kstwo: the two-sided one-sample Kolmogorov distribution (scipy/stats/_ksstats.py)

const E128 = 128;
const EP128 = 2 ** 128;
const EM128 = 2 ** -128;
const SQRT2PI = Math.sqrt(2 * Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);
const MIN_LOG = -708;
const SQRT3 = Math.sqrt(3);
const PI_SQUARED = Math.PI ** 2;
const PI_FOUR = Math.PI ** 4;
const PI_SIX = Math.PI ** 6;
const STIRLING_COEFFS = [
  -0.029550653594771242, 0.00641025641025641, -0.0019175269175269176, 0.0008417508417508417,
  -0.0005952380952380953, 0.0007936507936507937, -0.002777777777777778, 0.08333333333333333,
];

function clip01(p: number): number {
  return Math.min(Math.max(p, 0), 1);
}

function logNFactorialDivNPowN(n: number): number {
  const rn = 1 / n;
  const x = rn / n;
  let poly = 0;
  for (const c of STIRLING_COEFFS) poly = poly * x + c;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly;
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!;
      if (aik === 0) continue;
      const rowB = k * m;
      const rowO = i * m;
      for (let j = 0; j < m; j++) out[rowO + j]! += aik * b[rowB + j]!;
    }
  }
  return out;
}

/** Durbin matrix algorithm (Marsaglia, Tsang & Wang 2003): CDF Pr(D_n <= d). */
function kolmognDMTW(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  let H: Float64Array = new Float64Array(m * m);
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    v[j - 1] = 1 - h ** j;
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = v[j - 1]! * fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - (i - 1)]!;
  }
  for (let r = 0; r < m; r++) H[r * m] = v[r]!;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!;

  let Hpwr: Float64Array = new Float64Array(m * m);
  for (let i = 0; i < m; i++) Hpwr[i * m + i] = 1;
  let nn = n;
  let expnt = 0;
  let Hexpnt = 0;
  while (nn > 0) {
    if (nn % 2) {
      Hpwr = matmul(Hpwr, H, m);
      expnt += Hexpnt;
    }
    H = matmul(H, H, m);
    Hexpnt *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]!) > EP128) {
      for (let i = 0; i < H.length; i++) H[i] = H[i]! / EP128;
      Hexpnt += E128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = Hpwr[(k - 1) * m + (k - 1)]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= EP128;
      expnt -= E128;
    }
  }
  if (expnt !== 0) p = p * 2 ** expnt;
  return clip01(p);
}

function pomeranzJ1J2(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const ip1div2 = Math.floor((i + 1) / 2);
    const ip1mod2 = (i + 1) % 2;
    if (ip1mod2 === 0) {
      if (ip1div2 === n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = ip1div2 - 1 - ll - roundf - 1;
        j2 = ip1div2 + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = ip1div2 - 1 - ll - 1;
      j2 = ip1div2 + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Pomeranz (1974) recursion: CDF Pr(D_n <= x). */
function kolmognPomeranz(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs);
  const twogpower = new Float64Array(npwrs);
  const onem2gpower = new Float64Array(npwrs);
  gpower[0] = 1;
  twogpower[0] = 1;
  onem2gpower[0] = 1;
  let expnt = 0;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1]! * gOverN) / m;
    twogpower[m] = (twogpower[m - 1]! * twoGOverN) / m;
    onem2gpower[m] = (onem2gpower[m - 1]! * oneMinusTwoGOverN) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let j1 = pomeranzJ1J2(0, n, ll, ceilf, roundf)[0];
  let j2: number;
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzJ1J2(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // np.convolve(V0[k1 - V0s : k1 - V0s + ln2], pwrs[:ln2]) restricted to the entries used.
      const base = k1 - V0s;
      const convStart = j1 - k1;
      const convLen = j2 - j1 + 1;
      let maxV = 0;
      for (let c = 0; c < convLen; c++) {
        const idx = convStart + c;
        let s = 0;
        const lo = Math.max(0, idx - (ln2 - 1));
        const hi = Math.min(idx, ln2 - 1);
        for (let q = lo; q <= hi; q++) {
          const vi = base + q;
          const val = vi >= 0 && vi < V0.length ? V0[vi]! : 0;
          s += val * pwrs[idx - q]!;
        }
        V1[c] = s;
        if (s > maxV) maxV = s;
      }
      if (maxV > 0 && maxV < EM128) {
        for (let c = 0; c < V1.length; c++) V1[c] = V1[c]! * EP128;
        expnt -= E128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > EP128) {
      ans *= EM128;
      expnt += E128;
    }
    ans *= m;
  }
  if (expnt !== 0) ans = ans * 2 ** expnt;
  return clip01(ans);
}

/** Pelz-Good (1976) approximation of the CDF Pr(D_n <= x). */
function kolmognPelzGood(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const zsquared = z ** 2;
  const zthree = z ** 3;
  const zfour = z ** 4;
  const zsix = z ** 6;
  const qlog = -PI_SQUARED / 8 / zsquared;
  if (qlog < MIN_LOG) return 0;
  let q = Math.exp(qlog);
  const k1a = -zsquared;
  const k1b = PI_SQUARED / 4;
  const k2a = 6 * zsix + 2 * zfour;
  const k2b = ((2 * zfour - 5 * zsquared) * PI_SQUARED) / 4;
  const k2c = (PI_FOUR * (1 - 2 * zsquared)) / 16;
  const k3d = (PI_SIX * (5 - 30 * zsquared)) / 64;
  const k3c = (PI_FOUR * (-60 * zsquared + 212 * zfour)) / 16;
  const k3b = (PI_SQUARED * (135 * zfour - 96 * zsix)) / 4;
  const k3a = -30 * zsix - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const msquared = m ** 2;
    const mfour = m ** 4;
    const msix = m ** 6;
    const qpower = q ** (8 * k);
    const coeffs = [1, k1a + k1b * msquared, k2a + k2b * msquared + k2c * mfour, k3a + k3b * msquared + k3c * mfour + k3d * msix];
    for (let i = 0; i < 4; i++) K[i] = K[i]! * qpower + coeffs[i]!;
  }
  const div = [z, 6 * zfour, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (((K[i]! * q) * SQRT2PI) / div[i]!);
  q = Math.exp(-PI_SQUARED / 2 / zsquared);
  const sqrt3z = SQRT3 * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxk; k > 0; k--) {
    const ks2 = k * k;
    const qp = q ** ks2;
    k2extra += ks2 * qp;
    const kspi = Math.PI * k;
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks2 * qp;
  }
  k2extra *= (PI_SQUARED * SQRT2PI) / (-36 * zthree);
  K[2] = K[2]! + k2extra;
  k3extra *= (PI_SQUARED * SQRT2PI) / (216 * zsix);
  K[3] = K[3]! + k3extra;
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += K[i]! / n ** (i / 2);
  return sum;
}

// ---------------------------------------------------------------------------------------------
// Smirnov's one-sided distribution (xsf cephes kolmogorov.h, `_smirnov`), survival function only.

const SMIRNOV_MAX_COMPUTE_N = 1000000;
const MINLOG = -708.3964185322641;

/** floor(n*x) and the fractional part, with n*x computed exactly (Dekker's two-product). */
function modNX(n: number, x: number): { nxfloor: number; alpha: number; nx: number } {
  const hi = n * x;
  const split = 134217729; // 2^27 + 1
  const split2 = (v: number): [number, number] => {
    const c = split * v;
    const h = c - (c - v);
    return [h, v - h];
  };
  const [nh, nl] = split2(n);
  const [xh, xl] = split2(x);
  const lo = nh * xh - hi + nh * xl + nl * xh + nl * xl;
  let fl = Math.floor(hi);
  let frac: number;
  if (fl === hi) {
    if (lo < 0) {
      fl -= 1;
      frac = 1 + lo;
    } else frac = lo;
  } else frac = hi - fl + lo;
  if (frac >= 1) {
    fl += 1;
    frac = 0;
  }
  return { nxfloor: fl, alpha: frac, nx: hi };
}

/** Survival function of Smirnov's one-sided D+_n: Pr(D+_n > x). */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1)) return NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const { nxfloor: nxfl, alpha } = modNX(n, x);
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    const t = Math.exp((n - 1) * Math.log1p(x));
    return 1 - x * t;
  }
  if (-2 * n * x * x < MINLOG) return 0;
  if (nxfl >= n - 1) return Math.exp(n * Math.log1p(-x));
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    const logp = -((6 * n * x + 1) ** 2) / 18 / n;
    return logp < -Math.LN2 ? Math.exp(logp) : 1 - -Math.expm1(logp);
  }
  // Lower (Birnbaum-Tingey) sum: sf = x * sum_{v=0}^{floor(n(1-x))} C(n,v) (1-x-v/n)^(n-v) (x+v/n)^(v-1),
  // terms all positive, evaluated in log space; excluding the zero term where 1-x-v/n = 0.
  let n1mxfl = n - nxfl - (alpha === 0 ? 0 : 1);
  if (alpha === 0) n1mxfl -= 1;
  const nTerms = n1mxfl + 1;
  let logC = 0; // log C(n, v)
  let sum = 0;
  for (let v = 0; v < nTerms; v++) {
    if (v > 0) logC += Math.log((n - v + 1) / v);
    const a = 1 - x - v / n;
    if (a <= 0) break;
    const logAv = logC + (n - v) * Math.log(a) + (v - 1) * Math.log(x + v / n);
    const Av = Math.exp(logAv);
    sum += Av;
    if (v > 0 && Av !== 0 && 4 * (nTerms - v) * Av < Number.EPSILON * sum && v !== nTerms - 1) break;
    if (Av === 0 && v > n / 2) break;
  }
  return clip01(x * sum);
}

/** scipy `_kolmogn(n, x, cdf=False)`: Pr(D_n > x), the two-sided one-sample KS survival function. */
export function kolmognSf(n: number, x: number): number {
  if (!Number.isInteger(n) || n <= 0) return NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    let prob: number;
    if (n <= 140) {
      prob = 1;
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1);
    } else prob = Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1));
    return clip01(1 - prob);
  }
  if (t >= n - 1) return clip01(2 * (1 - x) ** n);
  if (x >= 0.5) return clip01(2 * smirnovSf(n, x));
  const nxsquared = t * x;
  if (n <= 140) {
    if (nxsquared <= 0.754693) return clip01(1 - kolmognDMTW(n, x));
    if (nxsquared <= 4) return clip01(1 - kolmognPomeranz(n, x));
    return clip01(2 * smirnovSf(n, x));
  }
  if (nxsquared >= 370) return 0;
  if (nxsquared >= 2.2) return clip01(2 * smirnovSf(n, x));
  let cdfprob: number;
  if (nxsquared >= 18) cdfprob = 1;
  else if (n <= 100000 && n * x ** 1.5 <= 1.4) cdfprob = kolmognDMTW(n, x);
  else cdfprob = kolmognPelzGood(n, x);
  return clip01(1 - cdfprob);
}

/** scipy.stats.kstwo.sf(d, n): 1 for d <= 1/(2n), 0 for d >= 1. */
export function kstwoSf(d: number, n: number): number {
  if (Number.isNaN(d)) return NaN;
  if (d <= 0.5 / n) return 1;
  if (d >= 1) return 0;
  return kolmognSf(n, d);
}
