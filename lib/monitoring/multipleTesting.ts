/**
 * Multiple-testing correction. `benjaminiHochberg` equals R's p.adjust(p, method = "BH"):
 * with the m non-missing p-values in decreasing order p_(m) >= ... >= p_(1),
 * adjusted p_(i) = min(1, min_{j >= i} m / j * p_(j)). Missing values (null, NaN) stay missing
 * and do not count in m (as in R, where n defaults to the number of non-NA p-values).
 */
export function benjaminiHochberg(pvalues: ReadonlyArray<number | null>): Array<number | null> {
  const present: number[] = [];
  for (let i = 0; i < pvalues.length; i++) {
    const p = pvalues[i];
    if (p !== null && p !== undefined && !Number.isNaN(p)) present.push(i);
  }
  const out: Array<number | null> = pvalues.map(() => null);
  const m = present.length;
  if (m === 0) return out;
  if (m === 1) {
    out[present[0]!] = pvalues[present[0]!]!;
    return out;
  }
  // Decreasing p; ties in their original order (R's order is stable; ties get equal results anyway).
  const order = [...present].sort((a, b) => pvalues[b]! - pvalues[a]! || a - b);
  let running = Infinity;
  for (let r = 0; r < m; r++) {
    const i = m - r; // rank from the top: m, m-1, ..., 1
    const idx = order[r]!;
    running = Math.min(running, (m / i) * pvalues[idx]!);
    out[idx] = Math.min(1, running);
  }
  return out;
}
