import { DEFAULT_SIMULATION, type SimulationOptions } from '../../simulate/index.js';
import { UsageError, dateOption, integerOption, type OptionSpec } from '../args.js';

/** The simulator's scale flags, shared by `simulate` and `run`. */
export const SIMULATION_FLAGS: OptionSpec = {
  devices: { type: 'string' },
  days: { type: 'string' },
  sites: { type: 'string' },
  'results-per-device-day': { type: 'string' },
  seed: { type: 'string' },
  start: { type: 'string' },
};

export const SIMULATION_USAGE = `  --devices N                 devices in the lab (default ${DEFAULT_SIMULATION.devices})
  --days N                    days simulated (default ${DEFAULT_SIMULATION.days})
  --sites N                   sites (default ${DEFAULT_SIMULATION.sites})
  --results-per-device-day N  average results per device per day (default ${DEFAULT_SIMULATION.resultsPerDeviceDay})
  --seed N                    random seed; the same seed gives the same lab (default ${DEFAULT_SIMULATION.seed})
  --start YYYY-MM-DD          first simulated day (default ${DEFAULT_SIMULATION.start})`;

export function simulationOptions(command: string, values: Record<string, string | boolean | undefined>): SimulationOptions {
  const text = (name: string): string | undefined => {
    const value = values[name];
    if (typeof value === 'boolean') throw new UsageError(`${command}: --${name} needs a value`);
    return value;
  };
  const start = dateOption(command, 'start', text('start'));
  const options: SimulationOptions = {
    devices: integerOption(command, 'devices', text('devices'), DEFAULT_SIMULATION.devices, 1, 100_000),
    days: integerOption(command, 'days', text('days'), DEFAULT_SIMULATION.days, 1, 3650),
    sites: integerOption(command, 'sites', text('sites'), DEFAULT_SIMULATION.sites, 1, 100),
    resultsPerDeviceDay: integerOption(command, 'results-per-device-day', text('results-per-device-day'), DEFAULT_SIMULATION.resultsPerDeviceDay, 1, 10_000),
    seed: integerOption(command, 'seed', text('seed'), DEFAULT_SIMULATION.seed, 0, 2 ** 31 - 1),
    start: start ? start.toISOString().slice(0, 10) : DEFAULT_SIMULATION.start,
  };
  if (options.sites > options.devices) throw new UsageError(`${command}: --sites (${options.sites}) cannot exceed --devices (${options.devices})`);
  return options;
}
