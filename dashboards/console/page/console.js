// The console page: renders our generated Grafana dashboards through the Prometheus HTTP API, with
// uPlot for charts. Each panel reports its state in data-state (loading, ok, empty, error) and its
// number of data points in data-points, so a headless browser can check it.
/* global uPlot */
import {
  axisSize,
  emptyPanel,
  keepSeparated,
  markerBorder,
  pickerOptions,
  seriesStyle,
  timeTickLabel,
  widestTimeLabel,
} from './chart-layout.js';
import { coverageText, sloRow, thresholdColor } from './slo-status.js';

const $ = (id) => document.getElementById(id);
// Axis text is measured with the font it is drawn in, so axes are sized to their labels.
const AXIS_FONT = '11px system-ui, -apple-system, "Segoe UI", sans-serif';
const TICK_SIZE = 5;
const LABEL_GAP = 4;
// Room between neighbouring time labels, in pixels.
const TIME_LABEL_SPACING = 16;
// Below this a chart stops being readable; its legend then makes the panel taller instead.
const MIN_CHART_HEIGHT = 110;
const measureContext = document.createElement('canvas').getContext('2d');
measureContext.font = AXIS_FONT;
const textWidth = (text) => (text ? measureContext.measureText(String(text)).width : 0);
let config;
let dashboard;
let timer;

function formatDuration(seconds) {
  if (!Number.isFinite(seconds)) return String(seconds);
  const abs = Math.abs(seconds);
  if (abs === 0) return '0';
  if (abs < 1) return `${+(seconds * 1000).toPrecision(3)} ms`;
  if (abs < 60) return `${+seconds.toPrecision(3)} s`;
  if (abs < 3600) return `${+(seconds / 60).toPrecision(3)} min`;
  if (abs < 2 * 86_400) return `${+(seconds / 3600).toPrecision(3)} h`;
  return `${+(seconds / 86_400).toPrecision(3)} d`;
}

/** Grafana unit ids we use, turned into text. */
export function formatValue(value, unit) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (unit === 's') return formatDuration(value);
  if (unit === 'percentunit') return `${+(value * 100).toPrecision(4)}%`;
  if (unit === 'ops') return `${+value.toPrecision(3)}/s`;
  if (unit?.startsWith('suffix:')) return `${+value.toPrecision(3)}${unit.slice(7)}`;
  return String(+value.toPrecision(4));
}

/** A runbook link of the published repository, opened from this checkout's runbooks/ instead. */
function localRunbook(url) {
  return config.runbookBaseUrl && url?.startsWith(config.runbookBaseUrl) ? `/runbooks/${url.slice(config.runbookBaseUrl.length)}` : url;
}

function expand(expr) {
  const values = {
    __rate_interval: config.rateInterval,
    __interval: config.rateInterval,
    __range: `${$('range').value}s`,
    slo: '.*',
    job: '.*',
    instance: '.*',
    datasource: 'prometheus',
  };
  return expr.replace(/\$\{?(\w+)\}?/g, (whole, name) => values[name] ?? whole);
}

function legend(format, metric) {
  if (!format)
    return (
      Object.entries(metric)
        .filter(([k]) => k !== '__name__')
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || 'value'
    );
  return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k) => metric[k] ?? '');
}

async function prom(path, params) {
  const res = await fetch(`/api/prometheus/${path}?${new URLSearchParams(params)}`);
  const body = await res.json();
  if (body.status !== 'success') throw new Error(body.error ?? body.detail ?? `HTTP ${res.status}`);
  return body.data.result;
}

function panelUnit(panel, refId) {
  const override = (panel.fieldConfig?.overrides ?? []).find((o) => o.matcher?.id === 'byFrameRefID' && o.matcher.options === refId);
  return override?.properties?.find((p) => p.id === 'unit')?.value ?? panel.fieldConfig?.defaults?.unit;
}

async function renderTimeseries(panel, body) {
  const end = Math.floor(Date.now() / 1000);
  const range = Number($('range').value);
  const step = Math.max(5, Math.round(range / 240));
  const series = [];
  for (const target of panel.targets) {
    const result = await prom('query_range', { query: expand(target.expr), start: end - range, end, step });
    for (const r of result)
      series.push({
        label: legend(target.legendFormat, r.metric),
        unit: panelUnit(panel, target.refId),
        values: new Map(r.values.map(([t, v]) => [t, Number(v)])),
      });
  }
  const times = [...new Set(series.flatMap((s) => [...s.values.keys()]))].sort((a, b) => a - b);
  const points = series.reduce((n, s) => n + [...s.values.values()].filter(Number.isFinite).length, 0);
  if (points === 0) return showEmpty(panel, body);
  // One y scale per unit, as Grafana does for per-query unit overrides: the first on the left, the next on the right.
  const units = [...new Set(series.map((s) => s.unit))];
  const data = [times, ...series.map((s) => times.map((t) => (Number.isFinite(s.values.get(t)) ? s.values.get(t) : null)))];
  clearBody(body);
  const available = availableHeight(body);
  const opts = {
    width: body.clientWidth || 400,
    height: Math.max(MIN_CHART_HEIGHT, available - 40),
    legend: { show: true, markers: { dash: (u, i) => markerBorder(u.series[i].dash) } },
    // A flat share (say 0 % one way only all along) should read as 0 %, not stretch to 0 – 10000 %.
    scales: {
      // From the first data (at least a few steps back, so one point is not a zero-width axis) to now,
      // on every panel: a young demo's charts fill the panel, and they end at the same moment.
      x: { time: true, range: () => [Math.max(end - range, Math.min(times[0], end - 5 * step)), end] },
      ...Object.fromEntries(
        units.map((u) => [u ?? 'y', u === 'percentunit' ? { range: (_, min, max) => [Math.min(0, min), Math.max(0.01, max)] } : {}]),
      ),
    },
    series: [
      {},
      ...series.map((s, i) => ({
        label: s.label,
        scale: s.unit ?? 'y',
        ...seriesStyle(i),
        width: 1.5,
        value: (_u, v) => formatValue(v, s.unit),
      })),
    ],
    axes: [
      {
        font: AXIS_FONT,
        ticks: { size: TICK_SIZE },
        gap: LABEL_GAP,
        size: TICK_SIZE + LABEL_GAP + 18,
        space: (_u, _i, min, max) => textWidth(widestTimeLabel(max - min)) + TIME_LABEL_SPACING,
        values: timeAxisLabels,
      },
      ...units.slice(0, 2).map((u, i) => ({
        scale: u ?? 'y',
        side: i === 0 ? 3 : 1,
        font: AXIS_FONT,
        ticks: { size: TICK_SIZE },
        gap: LABEL_GAP,
        // As wide as the widest label ("1.33 min"), so no label is cut at the panel's edge.
        size: (_u, values) => axisSize((values ?? []).map(textWidth), { tickSize: TICK_SIZE, gap: LABEL_GAP }),
        grid: { show: i === 0 },
        values: (_, vals) => vals.map((v) => formatValue(v, u)),
      })),
    ],
  };
  const chart = new uPlot(opts, data, body);
  body.chart = chart;
  // The legend wraps onto as many rows as its series need; the plot takes what is left.
  const legendHeight = chart.root.querySelector('.u-legend')?.offsetHeight ?? 0;
  chart.setSize({ width: opts.width, height: Math.max(MIN_CHART_HEIGHT, available - legendHeight) });
  return points;
}

/** Time tick labels, with those that would run into a neighbour or past the canvas edge left out. */
function timeAxisLabels(u, splits, _axisIdx, _space, incr) {
  const span = u.scales.x.max - u.scales.x.min;
  const labels = splits.map((t) => timeTickLabel(new Date(t * 1000), span, incr));
  const plotLeft = u.bbox.left / uPlot.pxRatio;
  const keep = keepSeparated(
    splits.map((t, i) => ({ center: u.valToPos(t, 'x'), width: textWidth(labels[i]) })),
    { min: -plotLeft, max: u.width - plotLeft, gap: TIME_LABEL_SPACING / 2 },
  );
  return labels.map((label, i) => (keep[i] ? label : null));
}

/** The body height a panel has at its dashboard size (grid rows grow only when content needs more). */
function availableHeight(body) {
  const panel = body.parentElement;
  const grid = getComputedStyle(panel.parentElement);
  const rows = Number(panel.dataset.rows);
  const nominal = rows * Number.parseFloat(grid.getPropertyValue('--row')) + (rows - 1) * Number.parseFloat(grid.getPropertyValue('--gap'));
  const style = getComputedStyle(panel);
  const below = Number.parseFloat(style.paddingBottom) + Number.parseFloat(style.borderBottomWidth);
  return Math.floor(nominal - (body.getBoundingClientRect().top - panel.getBoundingClientRect().top) - below);
}

/** Charts are destroyed, not just detached: uPlot keeps window listeners until then. */
function clearBody(body) {
  body.chart?.destroy();
  body.chart = undefined;
  body.innerHTML = '';
}

function showEmpty(panel, body) {
  const empty = emptyPanel(panel);
  clearBody(body);
  body.innerHTML = `<div class="${empty.className}">${empty.text}</div>`;
  return 0;
}

async function renderStat(panel, body) {
  const mappings = panel.fieldConfig?.defaults?.mappings?.[0]?.options ?? {};
  const items = [];
  for (const target of panel.targets) {
    for (const r of await prom('query', { query: expand(target.expr) })) {
      const value = Number(r.value[1]);
      const mapped = mappings[String(value)];
      const color = mapped?.color ?? thresholdColor(value, panel.fieldConfig?.defaults?.thresholds?.steps) ?? '#111827';
      items.push(
        `<div class="stat"><div class="value" style="color:${color}">${mapped?.text ?? formatValue(value, panelUnit(panel, target.refId))}</div><div class="label">${legend(target.legendFormat, r.metric)}</div></div>`,
      );
    }
  }
  if (!items.length) return showEmpty(panel, body);
  clearBody(body);
  body.innerHTML = `<div class="stats">${items.join('')}</div>`;
  return items.length;
}

async function renderTable(panel, body) {
  const rows = [];
  for (const target of panel.targets) rows.push(...(await prom('query', { query: expand(target.expr) })));
  if (!rows.length) return showEmpty(panel, body);
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r.metric)))].filter((c) => c !== '__name__');
  const link = panel.links?.[0];
  clearBody(body);
  body.innerHTML = `<table><thead><tr>${columns.map((c) => `<th>${c}</th>`).join('')}<th>value</th></tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr>${columns.map((c) => `<td class="${c === 'severity' ? `sev-${r.metric[c]}` : ''}">${r.metric[c] ?? ''}</td>`).join('')}<td>${formatValue(Number(r.value[1]), panel.fieldConfig?.defaults?.unit)}</td></tr>`,
    )
    .join(
      '',
    )}</tbody></table>${link ? `<p><a href="${localRunbook(link.url)}" target="_blank" rel="noreferrer">${link.title}</a></p>` : ''}`;
  return rows.length;
}

async function renderPanel(panel, element) {
  const body = element.querySelector('.body');
  element.dataset.state = 'loading';
  try {
    const render = { timeseries: renderTimeseries, stat: renderStat, table: renderTable }[panel.type];
    if (!render) throw new Error(`panel type ${panel.type} is not supported by the console`);
    const points = await render(panel, body);
    element.dataset.points = String(points);
    element.dataset.state = points > 0 ? 'ok' : emptyPanel(panel).state;
  } catch (err) {
    clearBody(body);
    body.textContent = `error: ${err.message}`;
    element.dataset.state = 'error';
  }
}

async function renderAlerts() {
  const box = $('alerts');
  if (!config.alertmanagerUrl) {
    box.textContent = 'No Alertmanager configured (pass --alertmanager-url).';
    return;
  }
  try {
    const res = await fetch('/api/alertmanager/alerts?active=true&silenced=false&inhibited=false');
    const alerts = await res.json();
    if (!res.ok) throw new Error(alerts.detail ?? `HTTP ${res.status}`);
    box.dataset.count = String(alerts.length);
    box.innerHTML = alerts.length
      ? `<table><tbody>${alerts
          .map(
            (a) =>
              `<tr class="alert"><td class="sev-${a.labels.severity}">${a.labels.severity}</td><td>${a.labels.alertname}</td><td>${a.annotations.summary ?? ''}</td><td><a class="runbook" href="${localRunbook(a.annotations.runbook_url)}" target="_blank" rel="noreferrer">runbook</a></td></tr>`,
          )
          .join('')}</tbody></table>`
      : '<span class="ok">Nothing is firing.</span>';
  } catch (err) {
    box.textContent = `Alertmanager unreachable: ${err.message}`;
  }
}

async function renderSlos() {
  const box = $('slos');
  try {
    const f = config.sloFigures;
    const queries = [f.objective, f.achieved, f.coverage, f.budgetLeft, 'slo:burn_rate:ratio_rate1h'].map(expand);
    const results = await Promise.all(queries.map((query) => prom('query', { query })));
    const [o, achieved, covered, budget, burn] = results.map((result) => new Map(result.map((r) => [r.metric.slo, Number(r.value[1])])));
    box.dataset.count = String(o.size);
    if (!o.size) {
      box.textContent = 'No SLO recording rules loaded in this Prometheus.';
      return;
    }
    const rules = config.sloRules;
    box.innerHTML = `<table><thead><tr><th>SLO</th><th>objective</th><th>achieved</th><th>data covers</th><th>budget left</th><th>burn 1h</th><th>status</th></tr></thead><tbody>${[
      ...o.keys(),
    ]
      .sort()
      .map((name) => {
        const row = sloRow({ coveredSeconds: covered.get(name), budgetLeft: budget.get(name) }, rules);
        const coverage = covered.has(name) ? coverageText(covered.get(name), rules.windowSeconds) : '–';
        return `<tr class="slo" data-status="${row.status}"><td>${name}</td><td>${formatValue(o.get(name), 'percentunit')}</td><td>${formatValue(achieved.get(name), 'percentunit')}</td><td>${coverage}</td><td class="${row.cls}">${row.showBudget ? formatValue(budget.get(name), 'percentunit') : '–'}</td><td>${row.showBurn1h ? formatValue(burn.get(name), 'suffix:x') : '–'}</td><td class="${row.cls}">${row.status}</td></tr>`;
      })
      .join('')}</tbody></table>`;
  } catch (err) {
    box.textContent = `Prometheus unreachable: ${err.message}`;
  }
}

async function refresh() {
  const elements = [...document.querySelectorAll('.panel')];
  await Promise.all([renderAlerts(), renderSlos(), ...dashboard.panels.map((p, i) => renderPanel(p, elements[i]))]);
  $('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
  document.body.dataset.rendered = String(Number(document.body.dataset.rendered ?? 0) + 1);
}

async function loadDashboard(uid) {
  dashboard = await (await fetch(`/api/dashboards/${uid}`)).json();
  document.title = `${dashboard.title} · Event bus console`;
  const main = $('panels');
  main.innerHTML = '';
  for (const panel of dashboard.panels) {
    const g = panel.gridPos;
    const el = document.createElement('div');
    el.className = 'panel';
    el.dataset.panelId = String(panel.id);
    el.dataset.rows = String(g.h);
    el.style.gridColumn = `${g.x + 1} / span ${g.w}`;
    el.style.gridRow = `${g.y + 1} / span ${g.h}`;
    el.innerHTML = `<h3 title="${(panel.description ?? '').replace(/"/g, '&quot;')}">${panel.title}</h3><div class="body"></div>`;
    main.appendChild(el);
  }
  await refresh();
}

function schedule() {
  clearInterval(timer);
  const seconds = Number($('refresh').value);
  if (seconds > 0) timer = setInterval(refresh, seconds * 1000);
}

async function start() {
  config = await (await fetch('/api/config')).json();
  const select = $('dashboard');
  for (const { value, text } of pickerOptions(config.dashboards)) select.add(new Option(text, value));
  const wanted = location.hash.slice(1);
  if (config.dashboards.some((d) => d.uid === wanted)) select.value = wanted;
  select.onchange = () => {
    location.hash = select.value;
    loadDashboard(select.value);
  };
  $('range').onchange = refresh;
  $('refresh').onchange = schedule;
  await loadDashboard(select.value);
  schedule();
}

start();
