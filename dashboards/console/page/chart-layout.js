// Layout decisions for the console's charts, kept pure so they can be tested as tables: series
// styles, time tick labels, which tick labels to keep, how wide an axis must be, and what an empty
// panel says. Text widths come in as numbers (the page measures them with the axis font).

/** Tableau 10, in its own order: neighbours differ in hue and lightness, so adjacent legend entries never read alike. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** After the palette runs out the colours repeat with a dash pattern, so series 1 and 11 still differ. */
export const DASHES = [[], [8, 4], [2, 3]];

/** The stroke and dash of the i-th series of a chart. */
export function seriesStyle(i) {
  const cycle = Math.floor(i / PALETTE.length);
  return { stroke: PALETTE[i % PALETTE.length], dash: DASHES[cycle % DASHES.length] };
}

/** The CSS border style that draws a dash pattern in a legend marker. */
export function markerBorder(dash) {
  if (!dash?.length) return 'solid';
  return dash[0] > dash[1] ? 'dashed' : 'dotted';
}

const pad = (n) => String(n).padStart(2, '0');

/**
 * One line per tick, 24-hour clock. The date appears only when the range spans days: a date under
 * the first tick (uPlot's default) is wider than the tick spacing and ran into its neighbours.
 */
export function timeTickLabel(date, spanSeconds, incrSeconds) {
  const day = `${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}${incrSeconds < 60 ? `:${pad(date.getSeconds())}` : ''}`;
  if (spanSeconds <= 86_400) return time;
  return incrSeconds >= 86_400 ? day : `${day} ${time}`;
}

/** The widest label timeTickLabel can produce for a span, to ask uPlot for enough room between ticks. */
export function widestTimeLabel(spanSeconds) {
  return timeTickLabel(new Date(2000, 11, 28, 20, 48, 48), spanSeconds, spanSeconds <= 900 ? 1 : 60);
}

/**
 * Which tick labels to draw along an axis. Each label is { center, width } in pixels; a label is kept
 * when it lies inside [min, max] and leaves `gap` pixels to the last kept one. Returns keep flags.
 */
export function keepSeparated(labels, { min, max, gap }) {
  let lastEnd = Number.NEGATIVE_INFINITY;
  return labels.map(({ center, width }) => {
    if (width === 0) return false;
    const start = center - width / 2;
    const end = center + width / 2;
    if (start < min || end > max || start < lastEnd + gap) return false;
    lastEnd = end;
    return true;
  });
}

/** The size of a vertical axis: room for the tick, the gap and the widest label, plus a little air. */
export function axisSize(labelWidths, { tickSize, gap }) {
  const widest = Math.max(0, ...labelWidths);
  return Math.ceil(tickSize + gap + widest + 4);
}

/**
 * What a panel says when its queries return no series. For the alerts table that is the healthy
 * answer (nothing is pending or firing), so it reads as good news, not as a fault.
 */
export function emptyPanel(panel) {
  const alertsOnly = (panel.targets ?? []).length > 0 && panel.targets.every((t) => /\bALERTS\b/.test(t.expr ?? ''));
  if (alertsOnly) return { text: 'none firing', className: 'none-firing', state: 'ok' };
  // A panel that says what its emptiness means (Grafana's noValue) is answering, not broken.
  const noValue = panel.fieldConfig?.defaults?.noValue;
  return noValue ? { text: noValue, className: 'no-value', state: 'ok' } : { text: 'no data', className: 'empty', state: 'empty' };
}

/** Picker entries: the dashboard's title, falling back to its uid. */
export function pickerOptions(dashboards) {
  return dashboards.map((d) => ({ value: d.uid, text: d.title || d.uid }));
}
