/**
 * Simulator throughput at the seed's monthly scale (10K devices x 30 days x 33 results per
 * device-day, ~10M lab results): rows of all five tables generated through `simulateLab`,
 * counted and dropped, with the process's peak RSS.
 *
 * The generator holds one day of rows (~250 MB at this scale) plus per-device state. Left
 * alone, V8 lets a fast-allocating heap grow to ~4x its live set before collecting, so the
 * generation runs in a worker whose old generation is capped (--heap-mb, default 768), as a
 * memory-limited host would run it; it completing under the cap shows the live set is bounded.
 *
 * Usage: node dist/bench/simulate.js [--devices 10000] [--days 30] [--results-per-device-day 33] [--heap-mb 768]
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { LIMS_TABLE_NAMES, type LimsTableName } from '../lib/sources/schema.js';
import { DEFAULT_SIMULATION, simulateLab, type SimulatedDay, type SimulationOptions } from '../lib/simulate/index.js';
import { peakRssMb, rate } from './figures.js';

type TableCounts = Record<LimsTableName, number>;

function countRows(options: SimulationOptions): TableCounts {
  const counts = Object.fromEntries(LIMS_TABLE_NAMES.map((t) => [t, 0])) as TableCounts;
  const days = simulateLab(options);
  // One day per call, so no stack slot keeps yesterday's rows alive while today's are generated.
  const countNextDay = (): boolean => {
    const next: IteratorResult<SimulatedDay> = days.next();
    if (next.done) return false;
    for (const table of LIMS_TABLE_NAMES) counts[table] += next.value.tables[table].length;
    return true;
  };
  while (countNextDay());
  return counts;
}

function benchOptions(): { options: SimulationOptions; heapMb: number } {
  const { values } = parseArgs({
    options: { devices: { type: 'string' }, days: { type: 'string' }, 'results-per-device-day': { type: 'string' }, 'heap-mb': { type: 'string' } },
    strict: false,
  });
  const numberArg = (name: string, fallback: number): number => {
    const value = values[name];
    return typeof value === 'string' ? Number(value) : fallback;
  };
  return {
    options: {
      ...DEFAULT_SIMULATION,
      devices: numberArg('devices', 10_000),
      days: numberArg('days', 30),
      resultsPerDeviceDay: numberArg('results-per-device-day', 33),
    },
    heapMb: numberArg('heap-mb', 768),
  };
}

async function main(): Promise<void> {
  const { options, heapMb } = benchOptions();
  const started = performance.now();
  const worker = new Worker(new URL(import.meta.url), { workerData: options, resourceLimits: { maxOldGenerationSizeMb: heapMb } });
  const counts = await new Promise<TableCounts>((resolve, reject) => {
    worker.once('message', (message: TableCounts) => resolve(message));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`simulator worker exited with code ${code} before reporting`)));
  });
  const elapsed = performance.now() - started;
  const rows = LIMS_TABLE_NAMES.reduce((sum, t) => sum + counts[t], 0);
  const scale = `${options.devices.toLocaleString('en-US')} devices x ${options.days} days x ${options.resultsPerDeviceDay} results per device-day`;
  console.log(`simulator: ${rate(rows, elapsed)}, peak RSS ${peakRssMb()} MB (${scale}; heap cap ${heapMb} MB)`);
  console.log(`simulator rows per table: ${LIMS_TABLE_NAMES.map((t) => `${t} ${counts[t].toLocaleString('en-US')}`).join(', ')}`);
}

if (isMainThread) await main();
else parentPort?.postMessage(countRows(workerData as SimulationOptions));
