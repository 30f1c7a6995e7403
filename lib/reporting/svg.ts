/**
 * Inline SVG charts for the report: plain strings, no script, no external resource. Every chart
 * is `<svg data-chart="name" viewBox=...>` scaled by CSS, and every data mark has class `mark`
 * (the browser test counts them). All text is escaped.
 */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const FONT = `font-family="system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"`;
const n = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(1));

/**
 * Scaled to the card's width, but never past 1.25 times its own size (text stays readable on a
 * desktop) nor below `minWidth` px: on a phone a wide chart scrolls sideways inside its card
 * instead of shrinking its text away (the page itself never scrolls sideways).
 */
function svg(name: string, label: string, width: number, height: number, body: string, minWidth = 0): string {
  const style = `max-width:${Math.round(width * 1.25)}px${minWidth ? `;min-width:${minWidth}px` : ''}`;
  return `<div class="chart-wrap"><svg class="chart" data-chart="${esc(name)}" viewBox="0 0 ${width} ${height}" style="${style}" role="img" aria-label="${esc(label)}" xmlns="http://www.w3.org/2000/svg" ${FONT} font-size="12">${body}</svg></div>`;
}

/** Text cut to `max` characters with an ellipsis (the full text goes in a <title>). */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}\u2026`;
}

/** Risk 0-100 as a colour from green (0) through amber to red (100). */
export function riskColor(score: number): string {
  const s = Math.max(0, Math.min(100, score));
  const hue = 130 - (130 * s) / 100;
  const light = 88 - (s / 100) * 40;
  return `hsl(${hue.toFixed(0)} 70% ${light.toFixed(0)}%)`;
}

const shortDay = (day: string): string => day.slice(5);

export interface HeatmapRow {
  readonly label: string;
  readonly values: readonly (number | null)[];
}

export function heatmap(name: string, label: string, columns: readonly string[], rows: readonly HeatmapRow[]): string {
  const left = 96;
  const top = 48;
  const cell = Math.max(18, Math.min(40, Math.floor(640 / Math.max(1, columns.length))));
  const rowH = 18;
  const width = left + columns.length * cell + 36;
  const height = top + rows.length * rowH + 30;
  const parts: string[] = [];
  columns.forEach((day, c) => {
    if (columns.length <= 16 || c % 2 === 0) {
      const x = left + c * cell + cell / 2 - 3;
      parts.push(`<text x="${n(x)}" y="${top - 6}" text-anchor="start" transform="rotate(-45 ${n(x)} ${top - 6})" fill="#4b5563" font-size="10">${esc(shortDay(day))}</text>`);
    }
  });
  rows.forEach((row, r) => {
    const y = top + r * rowH;
    parts.push(`<text x="${left - 6}" y="${y + rowH / 2 + 4}" text-anchor="end" fill="#111827" font-size="11">${esc(row.label)}</text>`);
    row.values.forEach((value, c) => {
      const x = left + c * cell;
      if (value === null) {
        parts.push(`<rect x="${x + 1}" y="${y + 1}" width="${cell - 2}" height="${rowH - 2}" fill="#f3f4f6"><title>${esc(`${row.label} ${columns[c]}: not scored`)}</title></rect>`);
      } else {
        parts.push(
          `<rect class="mark" x="${x + 1}" y="${y + 1}" width="${cell - 2}" height="${rowH - 2}" rx="2" fill="${riskColor(value)}"><title>${esc(`${row.label} ${columns[c]}: risk ${value}`)}</title></rect>`,
        );
        if (cell >= 26) parts.push(`<text x="${x + cell / 2}" y="${y + rowH / 2 + 4}" text-anchor="middle" font-size="9" fill="#111827">${esc(value)}</text>`);
      }
    });
  });
  const legendY = top + rows.length * rowH + 14;
  [0, 20, 40, 60, 80, 100].forEach((v, i) => {
    parts.push(`<rect x="${left + i * 44}" y="${legendY}" width="14" height="10" fill="${riskColor(v)}"/><text x="${left + i * 44 + 18}" y="${legendY + 9}" font-size="10" fill="#4b5563">${v}</text>`);
  });
  return svg(name, label, width, height, parts.join(''), Math.min(width, 520));
}

export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly color?: string;
  readonly note?: string;
}

/** Horizontal bars on a 0..max scale, optionally with a threshold line. */
export function hbars(name: string, label: string, bars: readonly Bar[], max: number, threshold?: { value: number; label: string }): string {
  const left = 150;
  const right = 120;
  const width = 560;
  const rowH = 24;
  const top = threshold ? 22 : 6;
  const height = top + bars.length * rowH + 6;
  const scale = (v: number): number => ((width - left - right) * Math.max(0, Math.min(max, v))) / (max || 1);
  const parts = bars.map((b, i) => {
    const y = top + i * rowH;
    return (
      `<text x="${left - 6}" y="${y + 16}" text-anchor="end" fill="#111827">${esc(clip(b.label, 22))}</text>` +
      `<rect class="mark" x="${left}" y="${y + 4}" width="${n(Math.max(1, scale(b.value)))}" height="${rowH - 8}" rx="3" fill="${b.color ?? '#2563eb'}"><title>${esc(`${b.label}: ${b.note ?? b.value}`)}</title></rect>` +
      `<text x="${n(left + scale(b.value) + 6)}" y="${y + 16}" fill="#374151">${esc(b.note ?? n(b.value))}</text>`
    );
  });
  if (threshold) {
    const x = left + scale(threshold.value);
    parts.push(`<line x1="${n(x)}" x2="${n(x)}" y1="${top - 4}" y2="${height}" stroke="#b91c1c" stroke-dasharray="4 3"/><text x="${n(x)}" y="12" text-anchor="middle" fill="#b91c1c" font-size="10">${esc(threshold.label)}</text>`);
  }
  return svg(name, label, width, height, parts.join(''), 360);
}

export interface StackSeries {
  readonly name: string;
  readonly color: string;
  readonly values: readonly number[];
}

/** Vertical stacked bars per day (e.g. drift alerts per day by kind), with a legend. */
export function stackedBars(name: string, label: string, days: readonly string[], series: readonly StackSeries[]): string {
  const left = 36;
  const width = 520;
  const top = 24;
  const plotH = 150;
  const height = top + plotH + 34;
  const totals = days.map((_, d) => series.reduce((sum, s) => sum + (s.values[d] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const step = (width - left - 8) / Math.max(1, days.length);
  const parts: string[] = [];
  for (const tick of [0, Math.ceil(max / 2), max]) {
    const y = top + plotH - (plotH * tick) / max;
    parts.push(`<line x1="${left}" x2="${width - 4}" y1="${n(y)}" y2="${n(y)}" stroke="#e5e7eb"/><text x="${left - 4}" y="${n(y + 4)}" text-anchor="end" font-size="10" fill="#6b7280">${tick}</text>`);
  }
  days.forEach((day, d) => {
    let base = top + plotH;
    for (const s of series) {
      const v = s.values[d] ?? 0;
      if (v <= 0) continue;
      const h = (plotH * v) / max;
      base -= h;
      parts.push(`<rect class="mark" x="${n(left + d * step + 1)}" y="${n(base)}" width="${n(Math.max(1, step - 2))}" height="${n(h)}" fill="${s.color}"><title>${esc(`${day} ${s.name}: ${v}`)}</title></rect>`);
    }
    if (d % Math.ceil(days.length / 8) === 0) parts.push(`<text x="${n(left + d * step + step / 2)}" y="${top + plotH + 14}" text-anchor="middle" font-size="10" fill="#6b7280">${esc(shortDay(day))}</text>`);
  });
  series.forEach((s, i) => {
    parts.push(`<rect x="${left + i * 200}" y="4" width="10" height="10" fill="${s.color}"/><text x="${left + i * 200 + 14}" y="13" font-size="11" fill="#374151">${esc(s.name)}</text>`);
  });
  return svg(name, label, width, height, parts.join(''), 360);
}

export interface LinePoint {
  readonly x: string;
  readonly y: number | null;
  readonly alarm?: boolean;
}

export interface LineSeries {
  readonly name: string;
  readonly color: string;
  readonly points: readonly LinePoint[];
  /** A per-point threshold line (dashed), e.g. a detection method's upper bound. */
  readonly threshold?: readonly (number | null)[];
  /** A constant reference line (dashed), e.g. the model card's holdout figure. */
  readonly reference?: { readonly value: number; readonly label: string };
}

/** A small line chart over days, with thresholds and alarm markers. */
export function lineChart(name: string, label: string, title: string, series: readonly LineSeries[], yFormat: (v: number) => string = (v) => v.toFixed(2)): string {
  const width = 320;
  const height = 170;
  const left = 40;
  const top = 22;
  const plotW = width - left - 10;
  const plotH = height - top - 28;
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort();
  const values = series.flatMap((s) => [
    ...s.points.map((p) => p.y),
    ...(s.threshold ?? []),
    ...(s.reference ? [s.reference.value] : []),
  ]).filter((v): v is number => v !== null && Number.isFinite(v));
  const maxV = Math.max(...values, 0);
  const minV = Math.min(...values, 0);
  const span = maxV - minV || 1;
  const X = (x: string): number => left + (xs.length <= 1 ? plotW / 2 : (plotW * xs.indexOf(x)) / (xs.length - 1));
  const Y = (v: number): number => top + plotH - (plotH * (v - minV)) / span;
  const parts: string[] = [`<text x="4" y="14" font-size="12" font-weight="600" fill="#111827">${esc(clip(title, 42))}<title>${esc(title)}</title></text>`];
  for (const t of [minV, (minV + maxV) / 2, maxV]) {
    parts.push(`<line x1="${left}" x2="${width - 8}" y1="${n(Y(t))}" y2="${n(Y(t))}" stroke="#e5e7eb"/><text x="${left - 4}" y="${n(Y(t) + 4)}" text-anchor="end" font-size="9" fill="#6b7280">${esc(yFormat(t))}</text>`);
  }
  if (xs.length > 0) {
    parts.push(`<text x="${left}" y="${height - 8}" font-size="9" fill="#6b7280">${esc(shortDay(xs[0]!))}</text>`);
    if (xs.length > 1) parts.push(`<text x="${width - 8}" y="${height - 8}" text-anchor="end" font-size="9" fill="#6b7280">${esc(shortDay(xs[xs.length - 1]!))}</text>`);
  }
  for (const s of series) {
    if (s.reference) {
      parts.push(`<line x1="${left}" x2="${width - 8}" y1="${n(Y(s.reference.value))}" y2="${n(Y(s.reference.value))}" stroke="${s.color}" stroke-dasharray="5 3" opacity="0.7"><title>${esc(`${s.reference.label}: ${yFormat(s.reference.value)}`)}</title></line>`);
    }
    if (s.threshold) {
      const pts = s.points.map((p, i) => [p.x, s.threshold![i]] as const).filter((p): p is readonly [string, number] => p[1] !== null && p[1] !== undefined && Number.isFinite(p[1]));
      if (pts.length > 1) parts.push(`<polyline fill="none" stroke="#b91c1c" stroke-dasharray="4 3" stroke-width="1.2" points="${pts.map(([x, v]) => `${n(X(x))},${n(Y(v))}`).join(' ')}"><title>threshold</title></polyline>`);
      else if (pts.length === 1) parts.push(`<line x1="${left}" x2="${width - 8}" y1="${n(Y(pts[0]![1]))}" y2="${n(Y(pts[0]![1]))}" stroke="#b91c1c" stroke-dasharray="4 3"/>`);
    }
    const defined = s.points.filter((p): p is LinePoint & { y: number } => p.y !== null && Number.isFinite(p.y));
    if (defined.length > 1) parts.push(`<polyline class="mark" fill="none" stroke="${s.color}" stroke-width="1.8" points="${defined.map((p) => `${n(X(p.x))},${n(Y(p.y))}`).join(' ')}"/>`);
    for (const p of defined) {
      const alarm = p.alarm === true;
      parts.push(
        `<circle class="mark${alarm ? ' alarm' : ''}" cx="${n(X(p.x))}" cy="${n(Y(p.y))}" r="${alarm ? 4 : defined.length > 40 ? 1.5 : 2.5}" fill="${alarm ? '#b91c1c' : s.color}"><title>${esc(`${s.name} ${p.x}: ${yFormat(p.y)}${alarm ? ' (alarm)' : ''}`)}</title></circle>`,
      );
    }
  }
  return svg(name, label, width, height, parts.join(''));
}
