import path from 'node:path';
import { writeSimulatedLims } from '../../simulate/index.js';
import { LIMS_TABLE_NAMES } from '../../sources/schema.js';
import type { Command } from '../command.js';
import { progress } from '../progress.js';
import { formatTable } from '../session.js';
import { SIMULATION_FLAGS, SIMULATION_USAGE, simulationOptions } from './simulationFlags.js';

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'Generate a simulated LIMS database (five tables and ground truth) on disk',
  usage: `lims-mlops simulate [options]

Writes the simulated LIMS (one Parquet file per table and day, plus ground_truth.json) to the
folder the simulator source reads. Deterministic: the same options give the same lab.

${SIMULATION_USAGE}
  --out DIR                   folder (default <LOCAL_DATA_DIR>/lims)
  --json                      print the counts as JSON`,
  options: { ...SIMULATION_FLAGS, out: { type: 'string' }, json: { type: 'boolean' } },
  prepare(values, _positionals, config) {
    const options = simulationOptions('simulate', values);
    const out = typeof values.out === 'string' ? values.out : path.join(config.LOCAL_DATA_DIR, 'lims');
    return async () => {
      const bar = progress('simulate', options.days);
      const result = await writeSimulatedLims(options, out, (days, _total, rows) => bar.update(days, `${rows.toLocaleString('en-US')} rows`));
      bar.finish(`${out}`);
      if (values.json) {
        console.log(JSON.stringify({ out, options, rows: result.rows, failures: result.groundTruth.failures.length }, null, 2));
      } else {
        console.log(formatTable(['table', 'rows'], LIMS_TABLE_NAMES.map((t) => [t, result.rows[t]])));
        console.log(`ground truth: ${result.groundTruth.failures.length} device failures, ${result.groundTruth.outbreaks.length} outbreaks, ${result.groundTruth.driftEpisodes.length} drift episodes`);
      }
      return 0;
    };
  },
};
