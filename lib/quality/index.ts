/** Data-quality expectations as data, their evaluator and per-table reports. */
export type { DqContext, DqRule, DqRuleKind, Limits, RuleGuard } from './rules.js';
export { DEFAULT_DQ_RULES, PLAUSIBLE_LIMITS } from './default-rules.js';
export { createEvaluator, createPositionEvaluator, evaluate, type Evaluation, type PositionEvaluation, type PositionEvaluator, type QuarantinedRow } from './evaluate.js';
export { mergeDqReports, reportOf, type DqReport, type TableDqReport } from './report.js';
