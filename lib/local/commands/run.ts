import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeSimulatedLims, type SimulationOptions } from '../../simulate/index.js';
import { bronzeTable } from '../../pipeline/bronze.js';
import { LIMS_TABLE_NAMES, type LimsTableName } from '../../sources/schema.js';
import type { Config } from '../../config/config.js';
import type { Command } from '../command.js';
import { progress } from '../progress.js';
import { formatTable, withPlatform } from '../session.js';
import { runPipeline, trainAndScore, type ModelCounts, type PipelineCounts } from '../pipelineRun.js';
import { SIMULATION_FLAGS, SIMULATION_USAGE, simulationOptions } from './simulationFlags.js';
import { runMonitoring, printMonitoring, type MonitoringSummary } from './monitoringRun.js';
import { alertAndReport, printReportOutcome, type AlertsAndReport } from './report.js';
import { printSilverAndGold } from './stageSummary.js';

export interface RunSummary {
  readonly source: string;
  readonly simulation?: SimulationOptions;
  readonly tables: Record<LimsTableName, { simulated: number | null; ingestedThisRun: number; inBronze: number }>;
  readonly silver: PipelineCounts['silver'];
  readonly dataQuality: PipelineCounts['dataQuality'];
  readonly gold: PipelineCounts['gold'];
  readonly model: ModelCounts;
  readonly monitoring: MonitoringSummary;
  readonly parkedMessages: number;
  /** Alert rules evaluated and delivered, then the daily report written (where to open it). */
  readonly alertsAndReport: AlertsAndReport;
  readonly seconds: number;
}

/**
 * A lab simulated with other options is another lab: the embedded storage from the previous lab
 * is cleared so that watermarks and bronze describe the lab now simulated.
 */
function resetEmbeddedStorageIfLabChanged(config: Config, limsDir: string, options: SimulationOptions, log: (line: string) => void): void {
  const meta = path.join(limsDir, 'meta.json');
  if (!existsSync(meta) || config.LAKE_STORAGE_ACCOUNT || config.LAKE_STORAGE_CONNECTION_STRING) return;
  const stored = (JSON.parse(readFileSync(meta, 'utf8')) as { options?: SimulationOptions }).options;
  if (JSON.stringify(stored) === JSON.stringify(options)) return;
  log('Simulation options changed: starting from empty embedded storage.');
  rmSync(path.join(config.LOCAL_DATA_DIR, 'azurite'), { recursive: true, force: true });
}

export const runCommand: Command = {
  name: 'run',
  summary: 'Run every stage end to end on the embedded default (what `npm start` does)',
  usage: `lims-mlops run [options]

Simulates a lab (when LIMS_SOURCE=simulator), ingests it to bronze, standardizes it to
silver, builds the gold tables, trains and registers the device-failure model (promoted
through the gate), batch-scores the latest day, evaluates the alert rules and delivers what
fires (e-mail to <LOCAL_DATA_DIR>/outbox on the embedded default), writes the daily report and
prints a summary with where to open the report.
Running it again ingests only what changed (nothing, for an unchanged simulated lab).

${SIMULATION_USAGE}
  --json                      print the summary as JSON`,
  options: { ...SIMULATION_FLAGS, json: { type: 'boolean' } },
  prepare(values, _positionals, config) {
    const options = simulationOptions('run', values);
    const simulated = config.LIMS_SOURCE === 'simulator';
    const limsDir = path.join(config.LOCAL_DATA_DIR, 'lims');
    return async () => {
      const started = Date.now();
      let simulatedRows: Record<LimsTableName, number> | undefined;
      if (simulated) {
        resetEmbeddedStorageIfLabChanged(config, limsDir, options, console.error);
        const bar = progress('simulate', options.days);
        const result = await writeSimulatedLims(options, limsDir, (days, _total, rows) => bar.update(days, `${rows.toLocaleString('en-US')} rows`));
        simulatedRows = result.rows;
        bar.finish(`${options.devices} devices x ${options.days} days`);
      }
      const summary = await withPlatform(config, { out: console.log, err: console.error }, async ({ ctx }) => {
        const counts = await runPipeline(ctx);
        const model = await trainAndScore(ctx);
        const monitoring = await runMonitoring(ctx);
        const tables = {} as RunSummary['tables'];
        for (const table of LIMS_TABLE_NAMES) {
          const inBronze = (await ctx.lake.countRows(bronzeTable(table))).rows;
          tables[table] = { simulated: simulatedRows?.[table] ?? null, ingestedThisRun: counts.bronze.find((r) => r.table === table)?.rowsWritten ?? 0, inBronze };
        }
        return {
          source: ctx.source().kind,
          ...(simulated ? { simulation: options } : {}),
          tables,
          silver: counts.silver,
          dataQuality: counts.dataQuality,
          gold: counts.gold,
          model,
          monitoring,
          parkedMessages: counts.parked,
          alertsAndReport: await alertAndReport(ctx, model.scored.day),
          seconds: (Date.now() - started) / 1000,
        } satisfies RunSummary;
      });
      if (values.json) console.log(JSON.stringify(summary, null, 2));
      else printSummary(summary);
      return 0;
    };
  },
};

function printSummary(summary: RunSummary): void {
  console.log('\nBronze ingestion');
  console.log(
    formatTable(
      ['table', 'rows in source', 'ingested this run', 'rows in bronze'],
      LIMS_TABLE_NAMES.map((t) => [t, summary.tables[t].simulated ?? '-', summary.tables[t].ingestedThisRun, summary.tables[t].inBronze]),
    ),
  );
  printSilverAndGold(summary, 'this run');
  const m = summary.model.metrics;
  const f = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined ? '-' : v.toFixed(digits));
  console.log('\nDevice-failure model (holdout: the newest days)');
  if (summary.model.skipped) console.log(`not trained: ${summary.model.skipped}`);
  else console.log(`version ${summary.model.version}: ROC-AUC ${f(m.roc_auc)}, PR-AUC ${f(m.pr_auc)}, Brier ${f(m.brier, 4)}, accuracy ${f(m.accuracy)}; at HIGH: precision ${f(m.precision)}, recall ${f(m.recall)}, failures warned ${f(m.failures_detected_share)}, median lead ${f(m.lead_time_median_days, 1)} days`);
  console.log(`promotion: ${summary.model.promotion}`);
  console.log(`batch scoring of ${summary.model.scored.day ?? '-'}: ${summary.model.scored.devices} devices, ${summary.model.scored.high} HIGH risk`);
  printMonitoring(summary.monitoring);
  if (summary.parkedMessages > 0) console.log(`\n${summary.parkedMessages} messages parked: see \`lims-mlops status\`.`);
  const { alerts, report } = summary.alertsAndReport;
  console.log('\nAlerts');
  console.log(
    `high-risk devices: ${alerts.highRisk.firing} firing, ${alerts.highRisk.resolved} resolved; pipeline: ${alerts.pipeline.firing} firing, ${alerts.pipeline.resolved} resolved ` +
      `(freshness against the ${alerts.clockKind} clock ${alerts.clock.slice(0, 16)}); ${alerts.deliveries.delivered + report.deliveries.delivered} deliveries` +
      `${alerts.deliveries.parked + report.deliveries.parked ? `, ${alerts.deliveries.parked + report.deliveries.parked} parked` : ''}`,
  );
  console.log('');
  printReportOutcome(report);
  console.log(`\nDone in ${summary.seconds.toFixed(1)} s. Next: open the report above, \`lims-mlops status\`, or \`lims-mlops serve\` and open /api/dashboard.`);
}
