/** Formatting shared by the benchmarks. */
export function rate(rows: number, elapsedMs: number): string {
  const perSecond = Math.round(rows / (elapsedMs / 1000));
  return `${rows.toLocaleString('en-US')} rows in ${(elapsedMs / 1000).toFixed(1)} s = ${perSecond.toLocaleString('en-US')} rows/s`;
}

/** Peak resident set size of this process so far, in MB (maxRSS is in KB). */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
