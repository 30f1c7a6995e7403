import { formatMinutes } from '../alerts/rules.js';
import type { ReportData } from './data.js';
import { esc, hbars, heatmap, lineChart, riskColor, stackedBars, type Bar } from './svg.js';

/**
 * The daily executive report as ONE self-contained HTML document: inline CSS and inline SVG,
 * no script, no font, image or stylesheet from anywhere (a strict Content-Security-Policy meta
 * says so to the browser too). Laid out as cards that stack on a phone and tile on a desktop.
 */
const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:#111827;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
header{background:#0f172a;color:#f8fafc;padding:16px 20px}
header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#cbd5e1;font-size:13px}
main{max-width:1280px;margin:0 auto;padding:12px;display:grid;gap:12px;grid-template-columns:repeat(auto-fit,minmax(min(100%,460px),1fr))}
section{background:#fff;border-radius:10px;padding:14px 16px;box-shadow:0 1px 2px rgba(0,0,0,.06);min-width:0}
section.wide{grid-column:1/-1}
h2{font-size:17px;margin:0 0 4px}
.sub{color:#6b7280;font-size:12.5px;margin:0 0 10px}
svg.chart{width:100%;height:auto;display:block}
.chart-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch}
.panels{display:grid;gap:8px;grid-template-columns:repeat(auto-fit,minmax(min(100%,260px),1fr))}
.empty{color:#6b7280;background:#f9fafb;border:1px dashed #d1d5db;border-radius:8px;padding:18px;text-align:center;margin:0}
.kpis{display:grid;gap:8px;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));margin-bottom:10px}
.kpi{border-radius:8px;padding:8px 10px;background:#f9fafb;border-left:4px solid #9ca3af}
.kpi b{display:block;font-size:20px}
.kpi.ok{border-color:#16a34a}.kpi.warn{border-color:#d97706}.kpi.bad{border-color:#dc2626}
.kpi span{font-size:12px;color:#4b5563}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 6px;border-bottom:1px solid #e5e7eb;vertical-align:top}
th{color:#4b5563;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}
.badge{display:inline-block;border-radius:4px;padding:0 6px;font-size:11px;font-weight:700;color:#fff}
.CRITICAL{background:#b91c1c}.HIGH{background:#c2410c}.MEDIUM{background:#a16207}.LOW{background:#4b5563}
ul.reasons{margin:0;padding-left:16px}
footer{color:#6b7280;font-size:12px;text-align:center;padding:12px 12px 24px}
@media (max-width:520px){header h1{font-size:19px}main{padding:8px;gap:8px}section{padding:12px}}
`;

function empty(chart: string, message: string): string {
  return `<p class="empty" data-chart-empty="${esc(chart)}">${esc(message)}</p>`;
}

function kpi(label: string, value: string, tone: 'ok' | 'warn' | 'bad' | '' = ''): string {
  return `<div class="kpi ${tone}"><b>${esc(value)}</b><span>${esc(label)}</span></div>`;
}

function riskSection(d: ReportData): string {
  const r = d.risk;
  const heat =
    r.rows.length === 0
      ? empty('risk-heatmap', 'No data yet: batch scoring writes predictions/device_risk once a model is promoted (`lims-mlops run`).')
      : heatmap('risk-heatmap', `Device failure risk, ${r.rows.length} devices x ${r.days.length} days`, r.days, r.rows.map((row) => ({ label: row.device, values: row.scores })));
  const shown = r.rows.length < r.devicesScored ? `the ${r.rows.length} highest-risk of ${r.devicesScored} devices scored` : `${r.devicesScored} devices`;
  return `<section class="wide" id="risk"><h2>Device failure risk, last ${r.days.length} days</h2>
<p class="sub">Risk score 0-100 of a failure within 7 days, per device and score day (${esc(shown)}; grey: not scored). HIGH above ${r.highThreshold}.</p>${heat}</section>`;
}

function topSection(d: ReportData): string {
  const r = d.risk;
  if (r.top.length === 0) {
    return `<section id="top"><h2>Top 10 at-risk devices</h2>${empty('top-devices', 'No data yet: no device has been scored.')}</section>`;
  }
  const bars: Bar[] = r.top.map((t) => ({ label: t.device, value: t.riskScore, color: riskColor(t.riskScore), note: `${t.riskScore} ${t.level}` }));
  const rows = r.top
    .map(
      (t) =>
        `<tr><td>${esc(t.device)}</td><td class="num">${esc(t.riskScore)}</td><td>${t.reasons.length ? `<ul class="reasons">${t.reasons.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : `<span class="sub">${t.level === 'LOW' ? 'low risk: factors are computed for MEDIUM and HIGH' : '-'}</span>`}</td></tr>`,
    )
    .join('');
  return `<section id="top"><h2>Top 10 at-risk devices</h2><p class="sub">Score day ${esc(r.latestDay ?? '-')}; reasons are the model's largest contributions (TreeSHAP).</p>
${hbars('top-devices', 'Top 10 devices by risk score', bars, 100, { value: r.highThreshold, label: `HIGH > ${r.highThreshold}` })}
<div class="scroll"><table><thead><tr><th>device</th><th class="num">risk</th><th>reasons</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

function driftSection(d: ReportData): string {
  const x = d.drift;
  const total = x.calibration.reduce((s, v) => s + v, 0) + x.data.reduce((s, v) => s + v, 0);
  const chart =
    total === 0 && x.reports.length === 0
      ? empty('drift-alerts', `No data yet: no calibration or data drift alert in the ${x.days.length} days to ${d.dataDay} (monitoring raises them).`)
      : stackedBars('drift-alerts', 'Drift alerts per day', x.days, [
          { name: 'calibration drift (CRITICAL)', color: '#b91c1c', values: x.calibration },
          { name: 'data drift (MEDIUM)', color: '#d97706', values: x.data },
        ]);
  const reports = x.reports.length
    ? `<div class="scroll"><table><thead><tr><th>drift report</th><th>alert level</th><th class="num">devices with drift</th></tr></thead><tbody>${x.reports
        .slice(-7)
        .map((r) => `<tr><td>${esc(r.day)}</td><td>${esc(r.alertLevel ?? '-')}</td><td class="num">${esc(r.devicesWithDrift ?? '-')}</td></tr>`)
        .join('')}</tbody></table></div>`
    : '<p class="sub">No drift report in the reports container yet.</p>';
  return `<section id="drift"><h2>Drift alerts over time</h2><p class="sub">Alert events per data day, last ${x.days.length} days.</p>${chart}${reports}</section>`;
}

function outbreakSection(d: ReportData): string {
  const o = d.outbreak;
  if (o.source === 'none' || o.panels.length === 0) {
    return `<section id="outbreaks"><h2>Outbreak signals</h2>${empty('outbreak-signals', 'No data yet: neither outbreak_signals (monitoring) nor gold outbreak_series has days in the window.')}</section>`;
  }
  const pct = o.source === 'outbreak_series';
  const panels = o.panels
    .map((p) =>
      lineChart(
        'outbreak-signals',
        `${p.test} in ${p.region}`,
        `${p.region} · ${p.test}`,
        [{ name: p.test, color: '#2563eb', points: p.points.map((x) => ({ x: x.day, y: x.value, alarm: x.alarm })), threshold: p.points.map((x) => x.threshold) }],
        pct ? (v) => `${(v * 100).toFixed(0)}%` : (v) => v.toFixed(1),
      ),
    )
    .join('');
  const src =
    o.source === 'outbreak_signals'
      ? 'from monitoring (outbreak signals)'
      : o.signalDays > 0
        ? `from gold outbreak_series (outbreak signals cover ${o.signalDays} day${o.signalDays === 1 ? '' : 's'} so far)`
        : 'from gold outbreak_series (no outbreak signals yet)';
  const fmt = (v: number | null): string => (v === null ? '-' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1));
  const latest = o.latest.length
    ? `<h3 style="font-size:14px;margin:10px 0 4px">Latest signals (${esc(o.latest[0]!.day)})</h3><div class="scroll"><table><thead><tr><th>test (method)</th><th>region</th><th class="num">value</th><th class="num">threshold</th><th>alarm</th></tr></thead><tbody>${o.latest
        .map((x) => `<tr><td>${esc(x.test)}</td><td>${esc(x.region)}</td><td class="num">${esc(fmt(x.value))}</td><td class="num">${esc(fmt(x.threshold))}</td><td>${x.alarm ? '<span class="badge HIGH">ALARM</span>' : '-'}</td></tr>`)
        .join('')}</tbody></table></div>`
    : '';
  return `<section class="wide" id="outbreaks"><h2>Outbreak signals per test and region</h2>
<p class="sub">${esc(o.measure)}, ${esc(src)}. Dashed red: threshold; red dots: above it (${o.alarms} in the window).</p><div class="panels">${panels}</div>${latest}</section>`;
}

function performanceSection(d: ReportData): string {
  const p = d.performance;
  if (p.source === 'none') {
    return `<section id="performance"><h2>Model performance</h2>${empty('model-performance', 'No data yet: no production model and no realised performance.')}</section>`;
  }
  if (p.source === 'model_card') {
    const bars: Bar[] = p.series.map((s) => ({ label: s.metric, value: s.card ?? 0, color: '#7c3aed', note: (s.card ?? 0).toFixed(3) }));
    return `<section id="performance"><h2>Model performance</h2><p class="sub">No realised performance yet (outcomes are known 7 days after a prediction): the holdout figures of the production model card ${esc(p.modelVersion ?? '')}.</p>
${hbars('model-performance', 'Holdout metrics of the production model', bars, 1)}</section>`;
  }
  const colors = ['#2563eb', '#16a34a', '#d97706', '#7c3aed', '#db2777', '#0891b2'];
  const panels = p.series
    .map((s, i) =>
      lineChart('model-performance', `Realised ${s.metric}`, `${s.metric}${s.card !== null ? ` (card ${s.card.toFixed(3)})` : ''}`, [
        { name: s.metric, color: colors[i % colors.length]!, points: s.points.map((x) => ({ x: x.day, y: x.value })), ...(s.card !== null ? { reference: { value: s.card, label: 'model card holdout' } } : {}) },
      ]),
    )
    .join('');
  return `<section id="performance"><h2>Realised model performance</h2><p class="sub">Predictions joined with the failures that followed (model_performance); dashed: the production card's holdout figure${p.modelVersion ? ` (${esc(p.modelVersion)})` : ''}.</p><div class="panels">${panels}</div></section>`;
}

function pipelineSection(d: ReportData): string {
  const p = d.pipeline;
  const lag = p.freshness.lagMinutes;
  const fresh = lag === null ? kpi('data freshness: nothing ingested yet', 'no data', 'bad') : kpi(`newest change vs ${p.freshness.clockKind} clock (target ${p.targetMinutes} min)`, formatMinutes(lag), lag > p.targetMinutes ? 'bad' : 'ok');
  const totalRuns = p.stages.reduce((s, x) => s + x.runs, 0);
  const failed = p.failures.length;
  const quarantined = p.quarantine.reduce((s, q) => s + q.quarantined, 0);
  const rowsIn = p.quarantine.reduce((s, q) => s + q.rowsIn, 0);
  const kpis = `<div class="kpis">${fresh}${kpi('stage runs, last 24 h', totalRuns.toLocaleString('en-US'), totalRuns > 0 ? 'ok' : 'warn')}${kpi('units failing now', String(failed), failed > 0 ? 'bad' : 'ok')}${kpi(
    `rows quarantined of ${rowsIn.toLocaleString('en-US')} (24 h)`,
    quarantined.toLocaleString('en-US'),
    quarantined > 0 ? 'warn' : 'ok',
  )}${kpi('messages parked', String(p.parked), p.parked > 0 ? 'bad' : 'ok')}</div>`;
  const maxRuns = Math.max(1, ...p.stages.map((s) => s.runs));
  const stageBars: Bar[] = p.stages.flatMap((s) => [
    { label: `${s.stage} ok`, value: s.succeeded, color: '#16a34a', note: `${s.succeeded} succeeded` },
    ...(s.failed > 0 ? [{ label: `${s.stage} failed`, value: s.failed, color: '#dc2626', note: `${s.failed} failed` }] : []),
  ]);
  const runs = stageBars.length === 0 ? empty('stage-runs', 'No data yet: no stage has run in the last 24 hours.') : hbars('stage-runs', 'Stage runs in the last 24 hours', stageBars, maxRuns);
  const qBars: Bar[] = p.quarantine.map((q) => ({ label: q.table, value: q.quarantined, color: '#d97706', note: `${q.quarantined.toLocaleString('en-US')} of ${q.rowsIn.toLocaleString('en-US')}` }));
  const qMax = Math.max(1, ...p.quarantine.map((q) => q.quarantined));
  const quarantine = qBars.length === 0 ? empty('quarantine', 'No data yet: no silver unit in the last 24 hours.') : hbars('quarantine', 'Quarantined rows per table', qBars, qMax);
  const tables = `<div class="scroll"><table><thead><tr><th>LIMS table</th><th>newest change ingested</th><th>last ingestion</th></tr></thead><tbody>${p.tables
    .map((t) => `<tr><td>${esc(t.table)}</td><td>${esc(t.newestChange?.replace('T', ' ').slice(0, 16) ?? '-')}</td><td>${esc(t.lastIngestAt?.replace('T', ' ').slice(0, 16) ?? '-')}</td></tr>`)
    .join('')}</tbody></table></div>`;
  const failures = p.failures.length
    ? `<div class="scroll"><table><thead><tr><th>failing stage</th><th>unit</th><th>since</th></tr></thead><tbody>${p.failures
        .slice(0, 10)
        .map((f) => `<tr><td>${esc(f.stage)}</td><td>${esc(f.unit)}</td><td>${esc(f.at.replace('T', ' ').slice(0, 16))}</td></tr>`)
        .join('')}</tbody></table></div>`
    : '';
  const rules = p.quarantine.filter((q) => q.rules).map((q) => `<li>${esc(q.table)}: ${esc(q.rules)}</li>`).join('');
  return `<section class="wide" id="pipeline"><h2>Pipeline health</h2><p class="sub">Freshness against the ${esc(p.freshness.clockKind)} clock ${esc(p.freshness.clock.replace('T', ' ').slice(0, 16))} UTC; runs from the run ledger; quarantine from the data-quality reports.</p>${kpis}
<div class="panels"><div><h3 style="font-size:14px;margin:4px 0">Stage runs (24 h)</h3>${runs}</div><div><h3 style="font-size:14px;margin:4px 0">Quarantined rows (24 h)</h3>${quarantine}${rules ? `<ul class="reasons" style="font-size:12px">${rules}</ul>` : ''}</div></div>${failures}${tables}</section>`;
}

function alertsSection(d: ReportData): string {
  const open = d.alerts.open;
  const body = open.length
    ? `<div class="scroll"><table><thead><tr><th>severity</th><th>alert</th><th>since</th></tr></thead><tbody>${open
        .slice(0, 25)
        .map((a) => `<tr><td><span class="badge ${esc(a.severity)}">${esc(a.severity)}</span></td><td>${esc(a.title)}</td><td>${esc(a.since.slice(0, 16).replace('T', ' '))}</td></tr>`)
        .join('')}</tbody></table></div>${open.length > 25 ? `<p class="sub">and ${open.length - 25} more.</p>` : ''}`
    : '<p class="sub">No open alert.</p>';
  const counts = (['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const).map((s) => kpi(`${s.toLowerCase()} alerts open`, String(open.filter((a) => a.severity === s).length), s === 'CRITICAL' || s === 'HIGH' ? (open.some((a) => a.severity === s) ? 'bad' : 'ok') : ''));
  return `<section class="wide" id="alerts"><h2>Open alerts</h2><div class="kpis">${counts.join('')}</div>${body}</section>`;
}

export function renderReportHtml(d: ReportData): string {
  const title = `LIMS daily report ${d.date}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><header><h1>${esc(title)}</h1><p>Data through ${esc(d.dataDay)} · generated ${esc(d.generatedAt.replace('T', ' ').slice(0, 16))} UTC · lims-mlops</p></header>
<main>${alertsSection(d)}${riskSection(d)}${topSection(d)}${driftSection(d)}${outbreakSection(d)}${performanceSection(d)}${pipelineSection(d)}</main>
<footer>Device ids, tests, regions and counts only: no patient data. Generated by lims-mlops; served at /api/reports/${esc(d.date)}.</footer>
</body></html>
`;
}
