// Sweep reports: a terminal table, JSON, and an SVG plot of accuracy against % of parameters
// removed with each point's λ marked. The SVG is written by hand (no dependency): a plot area
// with nice ticks, gridlines, axis labels, one line per series, point labels and a legend.

import type { SweepResult, SweepRow } from './sweep.js';

/** Aligned text table (first column left, others right). */
function textTable(header: string[], rows: string[][]): string {
  const cells = [header, ...rows];
  const widths = header.map((_, j) => Math.max(...cells.map((r) => (r[j] ?? '').length)));
  const line = (r: string[]) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function kb(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

export function sweepTable(result: SweepResult): string {
  const b = result.baseline;
  const rows = [
    ['unpruned', b.neurons.join('-'), String(b.params), '0.0', kb(b.bytes), (100 * b.accuracy).toFixed(2), '0.00', b.latencyUs === null ? '-' : b.latencyUs.toFixed(1)],
    ...result.rows.map((r) => [
      String(r.threshold),
      r.neurons.join('-'),
      String(r.params),
      r.paramsRemovedPct.toFixed(1),
      kb(r.bytes),
      (100 * r.accuracy).toFixed(2),
      r.accuracyDrop.toFixed(2),
      r.latencyUs === null ? '-' : r.latencyUs.toFixed(1),
    ]),
  ];
  return textTable(['λ', 'neurons', 'params', 'removed %', 'size', 'accuracy %', 'drop (pts)', 'predict µs'], rows);
}

// ---- SVG ------------------------------------------------------------------------------------

export interface PlotSeries {
  name: string;
  rows: SweepRow[];
}

export interface PlotOptions {
  title?: string;
  /** Accuracy of the unpruned model (0–1): a dashed reference line. */
  baseline?: number;
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** "Nice" tick values covering [lo, hi] (1, 2, 5 × 10^k steps). */
export function niceTicks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

function fmtTick(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.min(4, Math.max(1, -Math.floor(Math.log10(Math.abs(v) || 1)) + 1)));
}

function isSweepResult(s: PlotSeries[] | SweepResult): s is SweepResult {
  return 'baseline' in s;
}

/** SVG plot: accuracy (%) against parameters removed (%), one line per series, λ at each point. */
export function sweepSvg(series: PlotSeries[] | SweepResult, opts: PlotOptions = {}): string {
  const single = isSweepResult(series) ? series : null;
  const list: PlotSeries[] = single ? [{ name: describeResult(single), rows: [...single] }] : (series as PlotSeries[]);
  const baseline = opts.baseline ?? single?.baseline.accuracy;
  const W = opts.width ?? 760;
  const H = opts.height ?? 480;
  const m = { left: 70, right: 24, top: 48, bottom: 58 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const pts = list.flatMap((s) => s.rows);
  const accs = pts.map((r) => 100 * r.accuracy).concat(baseline !== undefined ? [100 * baseline] : []);
  const xMax = Math.max(10, ...pts.map((r) => r.paramsRemovedPct));
  const xTicks = niceTicks(0, Math.min(100, Math.ceil(xMax / 10) * 10));
  const x1 = xTicks[xTicks.length - 1]!;
  let yLo = Math.min(...accs);
  let yHi = Math.max(...accs);
  const pad = Math.max(0.5, (yHi - yLo) * 0.08);
  yLo -= pad;
  yHi += pad;
  const yTicks = niceTicks(yLo, yHi);
  const y0 = Math.min(yTicks[0]!, yLo);
  const y1 = Math.max(yTicks[yTicks.length - 1]!, yHi);
  const X = (v: number) => m.left + (v / x1) * pw;
  const Y = (v: number) => m.top + ph - ((v - y0) / (y1 - y0)) * ph;
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  o.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  o.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(opts.title ?? 'Accuracy vs parameters removed')}</text>`);
  // Grid and ticks.
  for (const t of xTicks) {
    const x = X(t).toFixed(1);
    o.push(`<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}" stroke="#e5e5e5"/>`);
    o.push(`<line x1="${x}" y1="${m.top + ph}" x2="${x}" y2="${m.top + ph + 5}" stroke="#333"/>`);
    o.push(`<text x="${x}" y="${m.top + ph + 19}" text-anchor="middle">${fmtTick(t)}</text>`);
  }
  for (const t of yTicks) {
    if (t < y0 || t > y1) continue;
    const y = Y(t).toFixed(1);
    o.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#e5e5e5"/>`);
    o.push(`<line x1="${m.left - 5}" y1="${y}" x2="${m.left}" y2="${y}" stroke="#333"/>`);
    o.push(`<text x="${m.left - 8}" y="${(Number(y) + 4).toFixed(1)}" text-anchor="end">${fmtTick(t)}</text>`);
  }
  o.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  o.push(`<text x="${m.left + pw / 2}" y="${H - 16}" text-anchor="middle" font-size="13">parameters removed (%)</text>`);
  o.push(`<text transform="translate(20 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="13">test accuracy (%)</text>`);
  if (baseline !== undefined) {
    const y = Y(100 * baseline).toFixed(1);
    o.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#777" stroke-dasharray="6 4"/>`);
    o.push(`<text x="${m.left + pw - 6}" y="${(Number(y) - 6).toFixed(1)}" text-anchor="end" fill="#555">unpruned ${(100 * baseline).toFixed(2)}%</text>`);
  }
  // Series: line, points, λ labels (a label is placed above or below its point, or left out when
  // both would overlap a label already placed).
  const placed: { x: number; y: number; w: number }[] = [];
  const free = (x: number, y: number, w: number) => placed.every((p) => Math.abs(p.x - x) > (p.w + w) / 2 + 2 || Math.abs(p.y - y) > 11);
  list.forEach((s, si) => {
    const color = COLORS[si % COLORS.length]!;
    const rows = [...s.rows].sort((a, b) => a.paramsRemovedPct - b.paramsRemovedPct);
    const path = rows.map((r, i) => `${i ? 'L' : 'M'}${X(r.paramsRemovedPct).toFixed(1)} ${Y(100 * r.accuracy).toFixed(1)}`).join(' ');
    o.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    rows.forEach((r, i) => {
      const cx = X(r.paramsRemovedPct);
      const cy = Y(100 * r.accuracy);
      o.push(`<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="4" fill="${color}" stroke="#fff" stroke-width="1"><title>λ=${r.threshold}: ${r.paramsRemovedPct.toFixed(1)}% removed, accuracy ${(100 * r.accuracy).toFixed(2)}%</title></circle>`);
      const text = `λ=${fmtLambda(r.threshold)}`;
      const w = text.length * 5.6;
      const dy = [-9, 17, -21, 29].find((d) => free(cx, cy + d, w));
      if (dy === undefined) return;
      placed.push({ x: cx, y: cy + dy, w });
      o.push(`<text x="${cx.toFixed(1)}" y="${(cy + dy).toFixed(1)}" text-anchor="middle" font-size="10" fill="${color}">${text}</text>`);
    });
  });
  // Legend (bottom left inside the plot, where accuracy curves rarely go).
  const lx = m.left + 12;
  let ly = m.top + ph - 14 - 18 * (list.length - 1);
  o.push(`<rect x="${lx - 6}" y="${ly - 12}" width="${Math.max(...list.map((s) => s.name.length)) * 6.6 + 40}" height="${18 * list.length + 6}" fill="#fff" fill-opacity="0.85" stroke="#ccc"/>`);
  list.forEach((s, si) => {
    const color = COLORS[si % COLORS.length]!;
    o.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 20}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/><circle cx="${lx + 10}" cy="${ly - 4}" r="3.5" fill="${color}"/>`);
    o.push(`<text x="${lx + 28}" y="${ly}">${esc(s.name)}</text>`);
    ly += 18;
  });
  o.push('</svg>');
  return `${o.join('\n')}\n`;
}

function fmtLambda(v: number): string {
  return String(Number(v.toPrecision(3)));
}

export function describeResult(r: SweepResult): string {
  const parts = [`${r.relative ? 'relative ' : ''}${r.statistic}`];
  if (r.compensateBias) parts.push('bias compensation');
  if (r.reconstruct) parts.push('reconstruction');
  if (r.finetuneEpochs) parts.push(`${r.finetuneEpochs} epoch${r.finetuneEpochs > 1 ? 's' : ''} fine-tuning`);
  return parts.join(' + ');
}
