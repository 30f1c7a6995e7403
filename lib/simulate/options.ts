/** How big a lab to simulate; the same options and seed always give the same lab. */
export interface SimulationOptions {
  devices: number;
  days: number;
  sites: number;
  /** Average lab results per device per day over the whole week. */
  resultsPerDeviceDay: number;
  seed: number;
  /** First simulated day, YYYY-MM-DD (UTC). */
  start: string;
}

export const DEFAULT_SIMULATION: SimulationOptions = {
  devices: 200,
  days: 120,
  sites: 4,
  resultsPerDeviceDay: 40,
  seed: 42,
  start: '2026-01-01',
};

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Epoch ms of the start day's midnight UTC; throws naming the first bad option. */
export function validateOptions(options: SimulationOptions): number {
  const positiveIntegers = ['devices', 'days', 'sites'] as const;
  for (const name of positiveIntegers) {
    const value = options[name];
    if (!Number.isInteger(value) || value < 1) throw new Error(`simulation option ${name} must be a positive integer, got ${String(value)}`);
  }
  if (!(options.resultsPerDeviceDay > 0) || !Number.isFinite(options.resultsPerDeviceDay)) {
    throw new Error(`simulation option resultsPerDeviceDay must be a positive number, got ${String(options.resultsPerDeviceDay)}`);
  }
  if (!Number.isInteger(options.seed)) throw new Error(`simulation option seed must be an integer, got ${String(options.seed)}`);
  const startMs = DATE.test(options.start) ? Date.parse(`${options.start}T00:00:00Z`) : NaN;
  if (Number.isNaN(startMs)) throw new Error(`simulation option start must be a date YYYY-MM-DD, got "${options.start}"`);
  return startMs;
}

