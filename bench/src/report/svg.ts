import type { BenchResult, Kind } from '../results.js';
import { figures as allFigures } from './figures.js';
import { formatNumber } from './table.js';

/** Short bar labels: 313k, 44.5k, 9.96. */
function compact(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(v >= 1e7 ? 0 : 1)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(v >= 1e4 ? 0 : 1)}k`;
  return formatNumber(v);
}

const r1 = (v: number) => Math.round(v * 10) / 10;

const COLORS: Record<Kind, string> = {
  adapter: '#2563eb',
  baseline: '#9ca3af',
  ceiling: '#16a34a',
  floor: '#f59e0b',
};
const KINDS = ['adapter', 'baseline', 'floor', 'ceiling'] as const;
const PANEL_W = 400;
const PANEL_H = 250;
const COLS = 3;
const TOP = 90;

const xml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * A self-contained SVG: one panel per scenario, a group of bars per adapter
 * (adapter, naive baseline, raw ceiling). Bars use a log scale, since the
 * baselines are often orders of magnitude away; each bar is labelled with
 * its value.
 */
export function renderSvg(result: BenchResult): string {
  const figures = allFigures(result.sizes).filter((f) => f.chart);
  const rows = Math.ceil(figures.length / COLS);
  const width = COLS * PANEL_W + 20;
  const height = TOP + rows * PANEL_H + 20;
  const parts: string[] = [];
  const m = result.machine;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" font-size="16" font-weight="bold">History Store benchmark: adapter vs previous store vs raw driver (floor, ceiling)</text>`,
    `<text x="10" y="40" fill="#444">${xml(`${result.mode} mode, seed ${result.seed}, ${result.startedAt.slice(0, 16)}Z, ${m.cpus} x ${m.cpuModel}, Node ${m.node}; log scale`)}</text>`,
    `<text x="10" y="56" fill="#444">${xml(result.command || 'pnpm bench')}</text>`,
  );
  let lx = 10;
  const legend: Record<Kind, string> = {
    adapter: 'adapter',
    baseline: 'previous store',
    floor: 'raw floor',
    ceiling: 'raw ceiling',
  };
  for (const kind of KINDS) {
    parts.push(
      `<rect x="${lx}" y="66" width="12" height="12" fill="${COLORS[kind]}"/>`,
      `<text x="${lx + 16}" y="76">${legend[kind]}</text>`,
    );
    lx += 120;
  }
  figures.forEach((figure, index) => {
    const px = 10 + (index % COLS) * PANEL_W;
    const py = TOP + Math.floor(index / COLS) * PANEL_H;
    const better = figure.better === 'higher' ? 'higher is better' : 'lower is better';
    parts.push(
      `<text x="${px + 4}" y="${py + 14}" font-weight="bold">${xml(`${figure.label.trim()} (${figure.unit})`)}</text>`,
      `<text x="${px + 4}" y="${py + 28}" fill="#666">${better}</text>`,
    );
    const groups = result.adapters.map((a) => ({
      name: a.adapter,
      bars: KINDS.filter(
        (k) =>
          a.runs[k] !== null &&
          (k !== 'ceiling' || figure.hasCeiling) &&
          (k !== 'floor' || figure.hasFloor),
      ).map((kind) => ({ kind, value: figure.get(a.runs[kind]) })),
    }));
    const values = groups.flatMap((g) => g.bars.map((b) => b.value ?? 0)).filter((v) => v > 0);
    const chartTop = py + 50;
    const chartBottom = py + PANEL_H - 30;
    const chartH = chartBottom - chartTop;
    parts.push(
      `<line x1="${px}" y1="${chartBottom}" x2="${px + PANEL_W - 20}" y2="${chartBottom}" stroke="#333"/>`,
    );
    if (values.length === 0) return;
    const lo = Math.log10(Math.min(...values) / 3);
    const hi = Math.log10(Math.max(...values));
    const scale = (v: number) => (hi === lo ? chartH : ((Math.log10(v) - lo) / (hi - lo)) * chartH);
    const groupW = (PANEL_W - 30) / Math.max(groups.length, 1);
    groups.forEach((group, g) => {
      const gx = px + 5 + g * groupW;
      const barW = Math.min(30, (groupW - 16) / KINDS.length);
      group.bars.forEach((bar, b) => {
        const x = r1(gx + 8 + b * (barW + 2));
        if (bar.value === undefined || bar.value <= 0) {
          parts.push(
            `<text x="${r1(x + barW / 2)}" y="${chartBottom - 4}" text-anchor="middle" fill="#999">n/a</text>`,
          );
          return;
        }
        const h = r1(Math.max(1, scale(bar.value)));
        parts.push(
          `<rect x="${x}" y="${chartBottom - h}" width="${barW}" height="${h}" fill="${COLORS[bar.kind]}"><title>${xml(`${group.name} ${bar.kind}: ${formatNumber(bar.value)} ${figure.unit}`)}</title></rect>`,
          `<text x="${r1(x + barW / 2)}" y="${r1(chartBottom - h - 3)}" text-anchor="middle" font-size="9">${xml(compact(bar.value))}</text>`,
        );
      });
      parts.push(
        `<text x="${r1(gx + groupW / 2)}" y="${chartBottom + 14}" text-anchor="middle">${xml(group.name)}</text>`,
      );
    });
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
