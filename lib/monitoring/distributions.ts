/**
 * Distribution functions the monitoring algorithms need, following R's nmath where R is the
 * reference (surveillance's thresholds are computed with R's qnorm and pt):
 * - `pnorm`: Cody's (1993) rational Chebyshev approximations as R's pnorm_both;
 * - `qnorm`: Wichura's AS 241 (PPND16) as R's qnorm;
 * - `studentTTwoSided`: 2 * pt(-|t|, df) = I_{df/(df+t^2)}(df/2, 1/2), the regularized incomplete
 *   beta function evaluated by its continued fraction (Lentz), accurate to ~1e-14.
 */

const M_SQRT_32 = 5.656854249492381;
const M_1_SQRT_2PI = 0.3989422804014327;

const A = [2.2352520354606837, 161.02823106855587, 1067.6894854603709, 18154.98125334356, 0.06568233791820745];
const B = [47.202581904688245, 976.0985517377767, 10260.932208618979, 45507.78933502673];
const C = [
  0.39894151208813466, 8.883149794388377, 93.50665613217785, 597.2702763948002, 2494.5375852903726,
  6848.190450536283, 11602.65143764735, 9842.714838383978, 1.0765576773720192e-8,
];
const D = [
  22.266688044328117, 235.387901782625, 1519.3775994075547, 6485.558298266761, 18615.571640885097,
  34900.95272114598, 38912.00328609327, 19685.429676859992,
];
const P = [0.215898534057957, 0.12740116116024736, 0.022235277870649807, 0.0014216191932278934, 0.000029112874951168793, 0.023073441764940174];
const Q = [1.284260096144911, 0.4682382124808651, 0.06598813786892856, 0.0037823963320275824, 0.00007297515550839662];

/** R's pnorm_both: [lower tail, upper tail] of the standard normal at x. */
function pnormBoth(x: number): [number, number] {
  if (Number.isNaN(x)) return [NaN, NaN];
  const eps = Number.EPSILON * 0.5;
  const y = Math.abs(x);
  let cum: number;
  let ccum: number;
  if (y <= 0.66291) {
    const xsq = y > eps ? x * x : 0;
    let xnum = A[4]! * xsq;
    let xden = xsq;
    for (let i = 0; i < 3; i++) {
      xnum = (xnum + A[i]!) * xsq;
      xden = (xden + B[i]!) * xsq;
    }
    const temp = (x * (xnum + A[3]!)) / (xden + B[3]!);
    cum = 0.5 + temp;
    ccum = 0.5 - temp;
  } else if (y <= M_SQRT_32 || y < 50) {
    let base: number;
    let xnum: number;
    let xden: number;
    let delX: number;
    if (y <= M_SQRT_32) {
      xnum = C[8]! * y;
      xden = y;
      for (let i = 0; i < 7; i++) {
        xnum = (xnum + C[i]!) * y;
        xden = (xden + D[i]!) * y;
      }
      base = (xnum + C[7]!) / (xden + D[7]!);
      delX = y;
    } else {
      const xsq = 1 / (x * x);
      xnum = P[5]! * xsq;
      xden = xsq;
      for (let i = 0; i < 4; i++) {
        xnum = (xnum + P[i]!) * xsq;
        xden = (xden + Q[i]!) * xsq;
      }
      base = (xsq * (xnum + P[4]!)) / (xden + Q[4]!);
      base = (M_1_SQRT_2PI - base) / y;
      delX = x;
    }
    const xsq = Math.floor(delX * 16) / 16;
    const del = (delX - xsq) * (delX + xsq);
    cum = Math.exp(-xsq * xsq * 0.5) * Math.exp(-del * 0.5) * base;
    ccum = 1 - cum;
    if (x > 0) [cum, ccum] = [ccum, cum];
  } else {
    if (x > 0) {
      cum = 1;
      ccum = 0;
    } else {
      cum = 0;
      ccum = 1;
    }
  }
  if (cum < Number.MIN_VALUE * 2 ** 52) cum = 0; // DBL_MIN
  if (ccum < Number.MIN_VALUE * 2 ** 52) ccum = 0;
  return [cum, ccum];
}

/** Normal distribution function (R's pnorm). */
export function pnorm(x: number, mean = 0, sd = 1, lowerTail = true): number {
  if (Number.isNaN(x) || Number.isNaN(mean) || Number.isNaN(sd)) return NaN;
  if (sd < 0) return NaN;
  const z = (x - mean) / sd;
  if (!Number.isFinite(z)) {
    if (Number.isNaN(z)) return NaN;
    return (z < 0) === lowerTail ? 0 : 1;
  }
  const [cum, ccum] = pnormBoth(z);
  return lowerTail ? cum : ccum;
}

/** Normal quantile function (R's qnorm, Wichura's AS 241). */
export function qnorm(p: number, mean = 0, sd = 1, lowerTail = true): number {
  if (Number.isNaN(p) || Number.isNaN(mean) || Number.isNaN(sd)) return NaN;
  if (p < 0 || p > 1) return NaN;
  if (p === 0) return lowerTail ? -Infinity : Infinity;
  if (p === 1) return lowerTail ? Infinity : -Infinity;
  if (sd < 0) return NaN;
  if (sd === 0) return mean;
  const pLower = lowerTail ? p : 0.5 - p + 0.5;
  const q = pLower - 0.5;
  let val: number;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    val =
      (q *
        (((((((r * 2509.0809287301227 + 33430.57558358813) * r + 67265.7709270087) * r + 45921.95393154987) * r +
          13731.69376550946) *
          r +
          1971.5909503065513) *
          r +
          133.14166789178438) *
          r +
          3.3871328727963665)) /
      (((((((r * 5226.495278852854 + 28729.085735721943) * r + 39307.89580009271) * r + 21213.794301586597) * r +
        5394.196021424751) *
        r +
        687.1870074920579) *
        r +
        42.31333070160091) *
        r +
        1);
  } else {
    const upper = lowerTail ? 0.5 - p + 0.5 : p; // R_DT_CIv(p)
    let r = Math.sqrt(-Math.log(q > 0 ? upper : pLower));
    if (r <= 5) {
      r += -1.6;
      val =
        (((((((r * 0.0007745450142783414 + 0.022723844989269184) * r + 0.2417807251774506) * r + 1.2704582524523684) * r +
          3.6478483247632045) *
          r +
          5.769497221460691) *
          r +
          4.630337846156546) *
          r +
          1.4234371107496835) /
        (((((((r * 1.0507500716444169e-9 + 0.0005475938084995345) * r + 0.015198666563616457) * r + 0.14810397642748008) * r +
          0.6897673349851) *
          r +
          1.6763848301838038) *
          r +
          2.053191626637759) *
          r +
          1);
    } else {
      r += -5;
      val =
        (((((((r * 2.0103343992922881e-7 + 0.000027115555687434876) * r + 0.0012426609473880784) * r + 0.026532189526576124) * r +
          0.29656057182850487) *
          r +
          1.7848265399172913) *
          r +
          5.463784911164114) *
          r +
          6.657904643501103) /
        (((((((r * 2.0442631033899397e-15 + 1.421511758316446e-7) * r + 0.000018463183175100548) * r + 0.0007868691311456133) * r +
          0.014875361290850615) *
          r +
          0.1369298809227358) *
          r +
          0.599832206555888) *
          r +
          1);
    }
    if (q < 0) val = -val;
  }
  return mean + sd * val;
}

const LANCZOS = [
  0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905,
  -0.13857109526572012, 0.000009984369578019572, 1.5056327351493116e-7,
];

/** log Gamma(x) for x > 0 (Lanczos, g = 7; ~1e-15 relative). */
export function lgamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  const xm = x - 1;
  let a = LANCZOS[0]!;
  const t = xm + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (xm + i);
  return 0.5 * Math.log(2 * Math.PI) + (xm + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Stirling-series remainder lgamma(x) - ((x - 0.5) log x - x + log sqrt(2 pi)), for x >= 10. */
function lgammaCorrection(x: number): number {
  const x2 = 1 / (x * x);
  return (1 / 12 - x2 * (1 / 360 - x2 * (1 / 1260 - x2 * (1 / 1680 - x2 * (1 / 1188))))) / x;
}

/** log Beta(a, b), with Stirling corrections for large arguments to avoid cancellation (as R's lbeta). */
export function lbeta(a: number, b: number): number {
  const p = Math.min(a, b);
  const q = Math.max(a, b);
  if (p >= 10) {
    const corr = lgammaCorrection(p) + lgammaCorrection(q) - lgammaCorrection(p + q);
    return Math.log(q) * -0.5 + 0.5 * Math.log(2 * Math.PI) + corr + (p - 0.5) * Math.log(p / (p + q)) + q * Math.log1p(-p / (p + q));
  }
  if (q >= 10) {
    const corr = lgammaCorrection(q) - lgammaCorrection(p + q);
    return lgamma(p) + corr + p - p * Math.log(p + q) + (q - 0.5) * Math.log1p(-p / (p + q));
  }
  return lgamma(p) + lgamma(q) - lgamma(p + q);
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const TINY = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return h;
}

/** Regularized incomplete beta function I_x(a, b), or its complement 1 - I_x(a, b) when !lowerTail. */
export function pbeta(x: number, a: number, b: number, lowerTail = true): number {
  if (Number.isNaN(x) || Number.isNaN(a) || Number.isNaN(b)) return NaN;
  if (x <= 0) return lowerTail ? 0 : 1;
  if (x >= 1) return lowerTail ? 1 : 0;
  const lbt = a * Math.log(x) + b * Math.log1p(-x) - lbeta(a, b);
  const bt = Math.exp(lbt);
  // The continued fraction gives the smaller tail accurately; the other is its complement.
  if (x < (a + 1) / (a + b + 2)) {
    const lower = (bt * betaContinuedFraction(x, a, b)) / a;
    return lowerTail ? lower : 1 - lower;
  }
  const upper = (bt * betaContinuedFraction(1 - x, b, a)) / b;
  return lowerTail ? 1 - upper : upper;
}

/** Two-sided Student t p-value, R's 2 * pt(-|t|, df). */
export function studentTTwoSided(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (!Number.isFinite(t)) return 0;
  return Math.min(1, pbeta(df / (df + t * t), df / 2, 0.5));
}

/**
 * Regularized lower incomplete gamma P(a, x) (series for x < a + 1, continued fraction otherwise),
 * or the upper Q(a, x) = 1 - P(a, x) when !lowerTail.
 */
export function pgammaLower(a: number, x: number, lowerTail = true): number {
  if (Number.isNaN(a) || Number.isNaN(x)) return NaN;
  if (x <= 0) return lowerTail ? 0 : 1;
  if (!Number.isFinite(x)) return lowerTail ? 1 : 0;
  const lg = a * Math.log(x) - x - lgamma(a);
  if (x < a + 1) {
    let ap = a;
    let del = 1 / a;
    let sum = del;
    for (let n = 1; n <= 100000; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-17) break;
    }
    const lower = sum * Math.exp(lg);
    return lowerTail ? lower : 1 - lower;
  }
  const TINY = 1e-300;
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= 100000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  const upper = Math.exp(lg) * h;
  return lowerTail ? 1 - upper : upper;
}

/** Poisson distribution function P(Y <= q) (R's ppois). */
export function ppois(q: number, lambda: number, lowerTail = true): number {
  const k = Math.floor(q + 1e-7);
  if (k < 0) return lowerTail ? 0 : 1;
  if (lambda === 0) return lowerTail ? 1 : 0;
  // P(Y > k) = P(k + 1, lambda), P(Y <= k) = Q(k + 1, lambda), each from its accurate side.
  return lowerTail ? pgammaLower(k + 1, lambda, false) : pgammaLower(k + 1, lambda);
}

/** Negative binomial distribution function P(Y <= q) with size and prob (R's pnbinom). */
export function pnbinom(q: number, size: number, prob: number, lowerTail = true): number {
  const k = Math.floor(q + 1e-7);
  if (k < 0) return lowerTail ? 0 : 1;
  if (size === 0) return lowerTail ? 1 : 0;
  return pbeta(prob, size, k + 1, lowerTail);
}

/**
 * Smallest integer y with cdf(y) >= p (1 - 64 DBL_EPSILON): R's discrete quantile with its fuzz,
 * searched from the Cornish-Fisher start as R does.
 */
function discreteQuantile(p: number, mean: number, sigma: number, gamma: number, cdf: (y: number) => number): number {
  if (p + 1.01 * Number.EPSILON >= 1) return Infinity;
  const z = qnorm(p);
  let y = Math.max(0, Math.round(mean + sigma * (z + (gamma * (z * z - 1)) / 6)));
  const target = p * (1 - 64 * Number.EPSILON);
  if (cdf(y) >= target) {
    while (y > 0 && cdf(y - 1) >= target) y--;
    return y;
  }
  do y++;
  while (cdf(y) < target);
  return y;
}

/** R's qpois(p, lambda). */
export function qpois(p: number, lambda: number): number {
  if (Number.isNaN(p) || Number.isNaN(lambda) || lambda < 0 || p < 0 || p > 1) return NaN;
  if (lambda === 0 || p === 0) return 0;
  if (p === 1) return Infinity;
  const sigma = Math.sqrt(lambda);
  return discreteQuantile(p, lambda, sigma, 1 / sigma, (y) => ppois(y, lambda));
}

/** R's qnbinom(p, size, prob). */
export function qnbinom(p: number, size: number, prob: number): number {
  if (Number.isNaN(p) || Number.isNaN(size) || Number.isNaN(prob) || !(prob > 0 && prob <= 1) || size < 0 || p < 0 || p > 1) return NaN;
  if (prob === 1 || size === 0 || p === 0) return 0;
  if (p === 1) return Infinity;
  const Q = 1 / prob;
  const P = (1 - prob) * Q;
  const sigma = Math.sqrt(size * P * Q);
  return discreteQuantile(p, size * P, sigma, (Q + P) / sigma, (y) => pnbinom(y, size, prob));
}
