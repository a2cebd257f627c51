// Sweep reports: a terminal table, and a plot drawn with Vega (rendered headless in Node to SVG;
// PNG through resvg). The plot has one panel for accuracy against % of parameters removed, with
// each point's λ placed by Vega's label transform so labels never overlap, and two small panels
// for the file size and the single-sample latency. One colour per series (e.g. per statistic).

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

const STATISTIC_NAMES: Record<string, string> = { mean: 'mean activation', meanAbs: 'mean |activation|', apoz: 'APoZ' };

/** "statistic: mean activation + bias compensation" — what a sweep pruned by, in words. */
export function describeResult(r: SweepResult): string {
  const parts = [`${r.relative ? 'relative ' : ''}${STATISTIC_NAMES[r.statistic] ?? r.statistic}`];
  if (r.compensateBias) parts.push('bias compensation');
  if (r.reconstruct) parts.push('reconstruction');
  if (r.finetuneEpochs) parts.push(`${r.finetuneEpochs} epoch${r.finetuneEpochs > 1 ? 's' : ''} fine-tuning`);
  return parts.join(' + ');
}

// ---- plot -----------------------------------------------------------------------------------

export interface PlotSeries {
  /** Legend entry, e.g. "mean activation" or "APoZ + bias compensation". */
  name: string;
  rows: SweepRow[];
}

export interface PlotOptions {
  title?: string;
  /** A second title line (model, data). */
  subtitle?: string;
  /** The legend's title (default "statistic"). */
  legendTitle?: string;
  /** The unpruned model: a dashed reference line in each panel. */
  baseline?: { accuracy: number; bytes?: number; latencyUs?: number | null };
}

function isSweepResult(s: PlotSeries[] | SweepResult): s is SweepResult {
  return 'baseline' in s;
}

/** Sweep results → plot series, named by what each pruned by. */
export function plotSeries(results: readonly SweepResult[]): PlotSeries[] {
  return results.map((r) => ({ name: describeResult(r), rows: [...r.rows] }));
}

const fmtLambda = (v: number) => String(Number(v.toPrecision(3)));

/** The Vega spec of the sweep plot (exported for tests and for anyone who wants to restyle it). */
export function sweepPlotSpec(input: PlotSeries[] | SweepResult, opts: PlotOptions = {}): Record<string, unknown> {
  const single = isSweepResult(input) ? input : null;
  const series: PlotSeries[] = single ? plotSeries([single]) : (input as PlotSeries[]);
  const baseline = opts.baseline ?? (single ? single.baseline : undefined);
  const points = series.flatMap((s) =>
    [...s.rows]
      .sort((a, b) => a.paramsRemovedPct - b.paramsRemovedPct)
      .map((r) => ({ series: s.name, lambda: fmtLambda(r.threshold), removed: r.paramsRemovedPct, accuracy: 100 * r.accuracy, kib: r.bytes / 1024, latency: r.latencyUs })),
  );
  const hasLatency = points.some((p) => p.latency !== null);
  const W = 560; // accuracy panel
  const H = 420;
  const SW = 300; // side panels
  const GAP = 70;
  const sideH = hasLatency ? (H - GAP) / 2 : H;
  const ref = (field: string, value: number | null | undefined) => (value === undefined || value === null ? [] : [{ field, value }]);
  const refs = baseline ? [...ref('accuracy', 100 * baseline.accuracy), ...ref('kib', baseline.bytes !== undefined ? baseline.bytes / 1024 : undefined), ...ref('latency', baseline.latencyUs)] : [];

  const xScale = { name: 'x', type: 'linear', domain: [0, 100], range: 'width', nice: false, zero: true };
  /** One panel: scales, axes, a line and points per series, the unpruned reference. */
  const panel = (name: string, field: string, yTitle: string, x: number, y: number, w: number, h: number, labels: boolean) => {
    const data = `${name}_rows`;
    const refValues = refs.filter((r) => r.field === field);
    return {
      type: 'group',
      name,
      encode: { enter: { x: { value: x }, y: { value: y }, width: { value: w }, height: { value: h }, stroke: { value: '#bbb' } } },
      data: [
        { name: data, source: 'points', transform: [{ type: 'filter', expr: `datum.${field} != null` }] },
        { name: `${name}_ref`, values: refValues },
      ],
      signals: [{ name: 'width', value: w }, { name: 'height', value: h }],
      scales: [
        xScale,
        { name: 'y', type: 'linear', domain: { fields: [{ data, field }, { data: `${name}_ref`, field: 'value' }] }, range: 'height', nice: true, zero: field !== 'accuracy' },
      ],
      axes: [
        { orient: 'bottom', scale: 'x', title: 'parameters removed (%)', grid: true, gridColor: '#eee', tickCount: 5 },
        { orient: 'left', scale: 'y', title: yTitle, grid: true, gridColor: '#eee', tickCount: labels ? 8 : 4 },
      ],
      marks: [
        {
          type: 'rule',
          from: { data: `${name}_ref` },
          encode: { enter: { x: { value: 0 }, x2: { signal: 'width' }, y: { scale: 'y', field: 'value' }, stroke: { value: '#777' }, strokeDash: { value: [6, 4] } } },
        },
        {
          type: 'text',
          from: { data: `${name}_ref` },
          encode: {
            enter: {
              x: { signal: 'width', offset: -4 },
              y: { scale: 'y', field: 'value', offset: field === 'accuracy' ? -5 : -4 },
              align: { value: 'right' },
              fill: { value: '#555' },
              fontSize: { value: 10 },
              text: { signal: field === 'accuracy' ? "'unpruned ' + format(datum.value, '.2f') + '%'" : "'unpruned'" },
            },
          },
        },
        {
          type: 'group',
          from: { facet: { name: `${name}_series`, data, groupby: 'series' } },
          marks: [
            {
              type: 'line',
              name: `${name}_line`,
              from: { data: `${name}_series` },
              encode: { enter: { x: { scale: 'x', field: 'removed' }, y: { scale: 'y', field }, stroke: { scale: 'color', field: 'series' }, strokeWidth: { value: 2 } } },
            },
          ],
        },
        {
          type: 'symbol',
          name: `${name}_points`,
          from: { data },
          encode: {
            enter: {
              x: { scale: 'x', field: 'removed' },
              y: { scale: 'y', field },
              fill: { scale: 'color', field: 'series' },
              stroke: { value: 'white' },
              size: { value: labels ? 50 : 30 },
              tooltip: { signal: "{'λ': datum.lambda, 'removed %': format(datum.removed, '.1f'), 'accuracy %': format(datum.accuracy, '.2f')}" },
            },
          },
        },
        ...(labels
          ? [
              {
                type: 'text',
                from: { data: `${name}_points` },
                encode: { enter: { text: { signal: "'λ=' + datum.datum.lambda" }, fontSize: { value: 10 }, fill: { scale: 'color', field: 'datum.series' } } },
                // Vega's label placement: each λ goes beside its point where it overlaps no other
                // label or point; one with no free place is left out (its point keeps a tooltip).
                transform: [{ type: 'label', size: [w, h], anchor: ['top', 'bottom', 'right', 'left', 'top-right', 'bottom-right', 'top-left', 'bottom-left'], offset: [3, 3, 3, 3, 2, 2, 2, 2] }],
              },
            ]
          : []),
      ],
    };
  };

  const side: Record<string, unknown>[] = [panel('size', 'kib', 'safetensors size (KiB)', W + GAP + 10, 0, SW, sideH, false)];
  if (hasLatency) side.push(panel('latency', 'latency', 'predictOne, median (µs)', W + GAP + 10, sideH + GAP, SW, sideH, false));
  const names = series.map((s) => s.name);
  return {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    padding: 16,
    autosize: 'pad',
    background: 'white',
    width: W + GAP + 10 + SW,
    height: H,
    config: { text: { font: 'DejaVu Sans, Helvetica, Arial, sans-serif' }, axis: { labelFont: 'DejaVu Sans, Helvetica, Arial, sans-serif', titleFont: 'DejaVu Sans, Helvetica, Arial, sans-serif' }, legend: { labelFont: 'DejaVu Sans, Helvetica, Arial, sans-serif', titleFont: 'DejaVu Sans, Helvetica, Arial, sans-serif' }, title: { font: 'DejaVu Sans, Helvetica, Arial, sans-serif', subtitleFont: 'DejaVu Sans, Helvetica, Arial, sans-serif' } },
    title: {
      text: opts.title ?? `Activation pruning by ${names.join(' vs ')}: accuracy, size and latency`,
      ...(opts.subtitle ? { subtitle: opts.subtitle } : {}),
      anchor: 'start',
      fontSize: 15,
      subtitleFontSize: 12,
      offset: 12,
    },
    data: [{ name: 'points', values: points }],
    scales: [{ name: 'color', type: 'ordinal', domain: names, range: 'category' }],
    legends: [{ fill: 'color', stroke: 'color', title: opts.legendTitle ?? 'statistic', orient: 'bottom', direction: 'horizontal', symbolType: 'circle', labelFontSize: 12, titleFontSize: 12, labelLimit: 400 }],
    marks: [panel('accuracy', 'accuracy', 'test accuracy (%)', 0, 0, W, H, true), ...side],
  };
}

/** The sweep plot as SVG text (Vega, rendered headless in Node; text measured with the `canvas` package). */
export async function sweepSvg(input: PlotSeries[] | SweepResult, opts: PlotOptions = {}): Promise<string> {
  const vega = await import('vega');
  const view = new vega.View(vega.parse(sweepPlotSpec(input, opts) as unknown as import('vega').Spec), { renderer: 'none' });
  try {
    return `${await view.toSVG()}\n`;
  } finally {
    view.finalize();
  }
}

/** An SVG rendered to PNG (resvg) at `scale`× its size, with the system's fonts. */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  const r = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' }, background: 'white' });
  return r.render().asPng();
}
