/** The built-in LIMS simulator: a deterministic lab (five LIMS tables + ground truth) and its on-disk store. */
export { DEFAULT_SIMULATION, type SimulationOptions } from './options.js';
export { simulateLab, type SimulatedDay } from './lab.js';
export { GroundTruthRecorder, type DriftTruth, type FailureTruth, type GroundTruth, type MessCounts, type OutbreakTruth } from './truth.js';
export { SimulatorSource, readGroundTruth, writeSimulatedLims, type SimulatedStore } from './store.js';
export { REGIONS, regionOfPostalCode, type Region } from './regions.js';
export {
  TEST_CATALOGUE, UNKNOWN_TEST_CODES, localTest, siteIdOf, siteTestCodes,
  type DeviceCategory, type LabTest, type LocalTest, type SiteTestCode, type UnitVariant,
} from './catalogue.js';
export { DEVICE_MODELS, type DeviceModel } from './devices.js';
export { DEFAULT_HISTORY, infectiousTests, scaledRegions, scaledTests, simulateTestHistory, weeklyTotals, type HistoryRegion, type HistorySeries, type HistoryTest, type TestHistory, type TestHistoryOptions } from './history.js';
