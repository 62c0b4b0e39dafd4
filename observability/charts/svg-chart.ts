// A small line chart rendered to an inline SVG string: no scripts, no fonts to fetch, no network.

export type ChartSeries = { name: string; color: string; points: [number, number | null][] };
export type ChartOptions = {
  title: string;
  width?: number;
  height?: number;
  yFormat: (v: number) => string;
  yMin?: number;
  yMax?: number;
  thresholds?: { value: number; label: string; color: string }[];
  /** Vertical lines at moments in time (e.g. when a fault was injected). */
  markers?: { x: number; label: string; color: string }[];
  xStart: number;
  xEnd: number;
  /** Labels for the x axis; default: dates. */
  xFormat?: (x: number) => string;
};

const escapeXml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function lineChart(series: ChartSeries[], options: ChartOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 220;
  const pad = { left: 56, right: 12, top: 28, bottom: 28 };
  const values = series.flatMap((s) => s.points.map(([, v]) => v)).filter((v): v is number => v !== null && Number.isFinite(v));
  const thresholdValues = (options.thresholds ?? []).map((t) => t.value);
  const yMin = options.yMin ?? Math.min(0, ...values);
  let yMax = options.yMax ?? Math.max(...values, ...thresholdValues, yMin + 1e-9);
  if (yMax === yMin) yMax = yMin + 1;
  const x = (t: number) => pad.left + ((t - options.xStart) / Math.max(1, options.xEnd - options.xStart)) * (width - pad.left - pad.right);
  const y = (v: number) =>
    height - pad.bottom - ((Math.min(yMax, Math.max(yMin, v)) - yMin) / (yMax - yMin)) * (height - pad.top - pad.bottom);

  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = yMin + f * (yMax - yMin);
    return `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e7eb"/><text x="${pad.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="10" fill="#6b7280">${escapeXml(options.yFormat(v))}</text>`;
  });
  const xFormat = options.xFormat ?? ((t: number) => new Date(t * 1000).toISOString().slice(0, 10));
  const days = [options.xStart, (options.xStart + options.xEnd) / 2, options.xEnd].map((t, i) => {
    const anchor = ['start', 'middle', 'end'][i];
    return `<text x="${x(t).toFixed(1)}" y="${height - 8}" text-anchor="${anchor}" font-size="10" fill="#6b7280">${escapeXml(xFormat(t))}</text>`;
  });
  const markers = (options.markers ?? []).map(
    (m) =>
      `<line x1="${x(m.x).toFixed(1)}" x2="${x(m.x).toFixed(1)}" y1="${pad.top}" y2="${height - pad.bottom}" stroke="${m.color}" stroke-dasharray="2 2"><title>${escapeXml(m.label)}</title></line>`,
  );
  const thresholds = (options.thresholds ?? [])
    .filter((t) => t.value >= yMin && t.value <= yMax)
    .map(
      (t) =>
        `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(t.value).toFixed(1)}" y2="${y(t.value).toFixed(1)}" stroke="${t.color}" stroke-dasharray="4 3"/><text x="${width - pad.right - 2}" y="${(y(t.value) - 3).toFixed(1)}" text-anchor="end" font-size="10" fill="${t.color}">${escapeXml(t.label)}</text>`,
    );
  const lines = series.map((s) => {
    // Gaps (no traffic) break the line instead of drawing it through zero.
    const segments: string[] = [];
    let current = '';
    for (const [t, v] of s.points) {
      if (v === null || !Number.isFinite(v)) {
        if (current) segments.push(current);
        current = '';
        continue;
      }
      current += `${current ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
    }
    if (current) segments.push(current);
    return `<path d="${segments.join(' ')}" fill="none" stroke="${s.color}" stroke-width="1.6"><title>${escapeXml(s.name)}</title></path>`;
  });
  const legend = series.map(
    (s, i) =>
      `<rect x="${pad.left + i * 130}" y="8" width="10" height="10" fill="${s.color}"/><text x="${pad.left + 14 + i * 130}" y="17" font-size="11" fill="#111827">${escapeXml(s.name)}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${escapeXml(options.title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">
<title>${escapeXml(options.title)}</title>${grid.join('')}${thresholds.join('')}${markers.join('')}${lines.join('')}${legend.join('')}${days.join('')}
<line x1="${pad.left}" x2="${pad.left}" y1="${pad.top}" y2="${height - pad.bottom}" stroke="#9ca3af"/>
</svg>`;
}
