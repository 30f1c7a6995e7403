/** What devices write to their logs: event codes and messages, by level. */
export interface LogEntry {
  readonly code: string;
  readonly message: string;
}

const entry = (code: string, message: string): LogEntry => ({ code, message });

export const INFO_LOGS: readonly LogEntry[] = [
  entry('I100', 'Run started'), entry('I110', 'Run completed'), entry('I200', 'QC run completed'), entry('I300', 'Reagent pack loaded'),
  entry('I400', 'Sample rack processed'), entry('I500', 'Daily maintenance completed'), entry('I510', 'Auto-verification batch released'),
];
export const WARN_LOGS: readonly LogEntry[] = [
  entry('W210', 'Reagent level low'), entry('W220', 'Incubator temperature deviation'), entry('W230', 'Clot detected in sample'),
  entry('W250', 'Fluidics pressure fluctuation'), entry('W260', 'QC result outside 2SD'), entry('W270', 'Sample probe level sense retry'),
];
export const ERROR_LOGS: readonly LogEntry[] = [
  entry('E310', 'Aspiration failure'), entry('E320', 'Photometer lamp intensity low'), entry('E330', 'Washer pump error'),
  entry('E340', 'LIS communication timeout'), entry('E350', 'Sample probe crash detected'), entry('E360', 'Reaction temperature out of range'),
];
export const CALIBRATION_DUE_LOG = entry('W240', 'Calibration overdue');
export const FAILURE_LOG = entry('E900', 'Instrument halted: hardware fault');
export const REPAIR_LOG = entry('I910', 'Service completed, instrument back online');
export const CALIBRATION_LOG = entry('I600', 'Calibration completed');
export const PREVENTIVE_LOG = entry('I700', 'Preventive maintenance completed');
