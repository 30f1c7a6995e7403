/** Data-quality expectations as data, their evaluator and per-table reports. */
export type { DqContext, DqRule, DqRuleKind, Limits, RuleGuard } from './rules.js';
export { DEFAULT_DQ_RULES, PLAUSIBLE_LIMITS } from './default-rules.js';
export { createEvaluator, evaluate, type Evaluation, type QuarantinedRow } from './evaluate.js';
export { mergeDqReports, reportOf, type DqReport, type TableDqReport } from './report.js';
