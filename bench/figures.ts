import { readFileSync } from 'node:fs';
import { loadConfig, type Config } from '../lib/config/config.js';

/** Formatting and settings shared by the benchmarks. */
export function rate(rows: number, elapsedMs: number): string {
  const perSecond = Math.round(rows / (elapsedMs / 1000));
  return `${rows.toLocaleString('en-US')} rows in ${(elapsedMs / 1000).toFixed(1)} s = ${perSecond.toLocaleString('en-US')} rows/s`;
}

/**
 * Peak resident set size of this process so far, in MB. On Linux from VmHWM: getrusage's maxRSS
 * survives fork and exec, so a unit started by a large benchmark process would report the
 * benchmark's peak as its own (VmHWM belongs to the process's own memory since exec).
 */
export function peakRssMb(): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Math.round(Number(kb) / 1024);
  } catch {
    // Not Linux: maxRSS (KB) below.
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/** CPU milliseconds (user + system) another process has used so far; null where /proc cannot tell. */
export function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    // Fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 a second on Linux); the command
    // name (field 2) sits in parentheses and may hold spaces.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** The pipeline benchmarks' settings: the embedded defaults in `work`, and WORKER_THREADS from the environment when set. */
export function benchConfig(work: string): Config {
  return loadConfig({ LOCAL_DATA_DIR: work, ...(process.env.WORKER_THREADS ? { WORKER_THREADS: process.env.WORKER_THREADS } : {}) });
}
