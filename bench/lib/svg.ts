/**
 * Tiny SVG charts for RESULTS.md, written by hand so the bench needs no chart package: grouped
 * bars (with min–max whiskers over repeats) and lines. Plain shapes and text, readable on GitHub
 * in light and dark mode (white background baked in).
 */

export interface BarSeries {
  name: string;
  /** One value per category; `lo`/`hi` draw a whisker (min–max over repeats). */
  values: { value: number; lo?: number; hi?: number }[];
}

export interface BarChartSpec {
  title: string;
  yLabel: string;
  categories: string[];
  series: BarSeries[];
  /** Horizontal reference line, e.g. a target. */
  reference?: { value: number; label: string };
}

export interface LineSeries {
  name: string;
  points: { x: number; y: number }[];
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  reference?: { value: number; label: string };
}

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1'];
const W = 640;
const H = 320;
const M = { top: 40, right: 20, bottom: 60, left: 64 };

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A "nice" axis maximum and tick step (1, 2, 5 × 10^n). */
function niceScale(max: number, ticks = 5): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.2 };
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  return { top: Math.ceil(max / step) * step, step };
}

function label(n: number): string {
  if (Math.abs(n) >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (Math.abs(n) >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return `${+n.toFixed(2)}`;
}

/** Coordinates to one decimal: the files stay small and diff-friendly. */
function r1(n: number): number {
  return Math.round(n * 10) / 10;
}

function frame(
  title: string,
  yLabel: string,
  top: number,
  step: number,
  body: string[],
  legend: string[],
  xLabel?: string,
): string {
  const plotH = H - M.top - M.bottom;
  const y = (v: number) => M.top + plotH - (v / top) * plotH;
  const grid: string[] = [];
  for (let v = 0; v <= top + step / 2; v += step) {
    grid.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${r1(y(v))}" y2="${r1(y(v))}" stroke="#ddd"/>`,
      `<text x="${M.left - 6}" y="${r1(y(v) + 4)}" text-anchor="end" font-size="11">${label(v)}</text>`,
    );
  }
  // Each legend entry is as wide as its text (~6.5 px per character at 11 px) plus the swatch.
  let legendX = M.left;
  const legendItems = legend.map((name, i) => {
    const x = legendX;
    legendX += 14 + Math.ceil(name.length * 6.5) + 16;
    return `<rect x="${x}" y="${H - 18}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${x + 14}" y="${H - 9}" font-size="11">${esc(name)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<text transform="translate(14 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="11">${esc(yLabel)}</text>`,
    ...(xLabel
      ? [
          `<text x="${M.left + (W - M.left - M.right) / 2}" y="${H - 28}" text-anchor="middle" font-size="11">${esc(xLabel)}</text>`,
        ]
      : []),
    ...grid,
    ...body,
    ...legendItems,
    '</svg>',
  ].join('\n');
}

function referenceLine(ref: { value: number; label: string } | undefined, top: number): string[] {
  if (!ref || !(ref.value <= top)) return [];
  const plotH = H - M.top - M.bottom;
  const y = M.top + plotH - (ref.value / top) * plotH;
  return [
    `<line x1="${M.left}" x2="${W - M.right}" y1="${r1(y)}" y2="${r1(y)}" stroke="#c00" stroke-dasharray="6 4"/>`,
    `<text x="${W - M.right - 4}" y="${r1(y - 4)}" text-anchor="end" font-size="11" fill="#c00">${esc(ref.label)}</text>`,
  ];
}

export function barChart(spec: BarChartSpec): string {
  const finite = spec.series
    .flatMap((s) => s.values.flatMap((v) => [v.value, v.hi ?? v.value]))
    .filter(Number.isFinite);
  const { top, step } = niceScale(Math.max(...finite, spec.reference?.value ?? 0, 0));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const y = (v: number) => M.top + plotH - (Math.min(v, top) / top) * plotH;
  const groupW = plotW / Math.max(1, spec.categories.length);
  const barW = Math.min(40, (groupW * 0.8) / Math.max(1, spec.series.length));
  const body: string[] = [];
  spec.categories.forEach((cat, ci) => {
    const gx = M.left + ci * groupW + (groupW - barW * spec.series.length) / 2;
    spec.series.forEach((s, si) => {
      const v = s.values[ci];
      if (!v || !Number.isFinite(v.value)) return;
      const x = gx + si * barW;
      body.push(
        `<rect x="${r1(x)}" y="${r1(y(v.value))}" width="${r1(barW - 2)}" height="${r1(y(0) - y(v.value))}" fill="${COLORS[si % COLORS.length]}"/>`,
      );
      if (v.lo !== undefined && v.hi !== undefined && v.hi > v.lo) {
        const cx = x + (barW - 2) / 2;
        body.push(
          `<line x1="${r1(cx)}" x2="${r1(cx)}" y1="${r1(y(v.lo))}" y2="${r1(y(v.hi))}" stroke="#333"/>`,
        );
      }
    });
    body.push(
      `<text x="${r1(M.left + ci * groupW + groupW / 2)}" y="${H - M.bottom + 16}" text-anchor="middle" font-size="11">${esc(cat)}</text>`,
    );
  });
  body.push(...referenceLine(spec.reference, top));
  return frame(
    spec.title,
    spec.yLabel,
    top,
    step,
    body,
    spec.series.map((s) => s.name),
  );
}

export function lineChart(spec: LineChartSpec): string {
  const xs = spec.series.flatMap((s) => s.points.map((p) => p.x));
  const ysAll = spec.series.flatMap((s) => s.points.map((p) => p.y)).filter(Number.isFinite);
  const { top, step } = niceScale(Math.max(...ysAll, spec.reference?.value ?? 0, 0));
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (v: number) => M.left + (xMax === xMin ? plotW / 2 : ((v - xMin) / (xMax - xMin)) * plotW);
  const y = (v: number) => M.top + plotH - (v / top) * plotH;
  const body: string[] = [];
  for (const v of [...new Set(xs)].sort((a, b) => a - b)) {
    body.push(
      `<text x="${r1(x(v))}" y="${H - M.bottom + 16}" text-anchor="middle" font-size="11">${label(v)}</text>`,
    );
  }
  spec.series.forEach((s, si) => {
    const color = COLORS[si % COLORS.length];
    const pts = s.points.filter((p) => Number.isFinite(p.y));
    body.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${r1(x(p.x))},${r1(y(p.y))}`).join(' ')}"/>`,
    );
    for (const p of pts) body.push(`<circle cx="${r1(x(p.x))}" cy="${r1(y(p.y))}" r="3" fill="${color}"/>`);
  });
  body.push(...referenceLine(spec.reference, top));
  return frame(
    spec.title,
    spec.yLabel,
    top,
    step,
    body,
    spec.series.map((s) => s.name),
    spec.xLabel,
  );
}
