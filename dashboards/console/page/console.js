// The console page: renders our generated Grafana dashboards through the Prometheus HTTP API, with
// uPlot for charts. Each panel reports its state in data-state (loading, ok, empty, error) and its
// number of data points in data-points, so a headless browser can check it.
/* global uPlot */

const $ = (id) => document.getElementById(id);
const COLORS = [
  '#2563eb',
  '#d97706',
  '#16a34a',
  '#dc2626',
  '#7c3aed',
  '#0891b2',
  '#db2777',
  '#65a30d',
  '#ea580c',
  '#4b5563',
  '#0d9488',
  '#9333ea',
  '#ca8a04',
  '#be123c',
  '#1d4ed8',
  '#15803d',
  '#a16207',
  '#6d28d9',
];
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
  return `${+(seconds / 3600).toPrecision(3)} h`;
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
  body.innerHTML = '';
  if (points === 0) {
    body.innerHTML = '<div class="empty">no data</div>';
    return 0;
  }
  // One y scale per unit, as Grafana does for per-query unit overrides: the first on the left, the next on the right.
  const units = [...new Set(series.map((s) => s.unit))];
  const data = [times, ...series.map((s) => times.map((t) => (Number.isFinite(s.values.get(t)) ? s.values.get(t) : null)))];
  const opts = {
    width: body.clientWidth || 400,
    height: Math.max(80, body.clientHeight - 44),
    legend: { show: true },
    // A flat share (say 0 % one way only all along) should read as 0 %, not stretch to 0 – 10000 %.
    scales: Object.fromEntries(
      units.map((u) => [u ?? 'y', u === 'percentunit' ? { range: (_, min, max) => [Math.min(0, min), Math.max(0.01, max)] } : {}]),
    ),
    series: [
      {},
      ...series.map((s, i) => ({
        label: s.label,
        scale: s.unit ?? 'y',
        stroke: COLORS[i % COLORS.length],
        width: 1.5,
        value: (_u, v) => formatValue(v, s.unit),
      })),
    ],
    axes: [
      {},
      ...units.slice(0, 2).map((u, i) => ({
        scale: u ?? 'y',
        side: i === 0 ? 3 : 1,
        size: 60,
        grid: { show: i === 0 },
        values: (_, vals) => vals.map((v) => formatValue(v, u)),
      })),
    ],
  };
  new uPlot(opts, data, body);
  return points;
}

async function renderStat(panel, body) {
  const mappings = panel.fieldConfig?.defaults?.mappings?.[0]?.options ?? {};
  const items = [];
  for (const target of panel.targets) {
    for (const r of await prom('query', { query: expand(target.expr) })) {
      const value = Number(r.value[1]);
      const mapped = mappings[String(value)];
      items.push(
        `<div class="stat"><div class="value" style="color:${mapped?.color ?? '#111827'}">${mapped?.text ?? formatValue(value, panelUnit(panel, target.refId))}</div><div class="label">${legend(target.legendFormat, r.metric)}</div></div>`,
      );
    }
  }
  body.innerHTML = items.length ? `<div class="stats">${items.join('')}</div>` : '<div class="empty">no data</div>';
  return items.length;
}

async function renderTable(panel, body) {
  const rows = [];
  for (const target of panel.targets) rows.push(...(await prom('query', { query: expand(target.expr) })));
  if (!rows.length) {
    body.innerHTML = '<div class="empty">no data</div>';
    return 0;
  }
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r.metric)))].filter((c) => c !== '__name__');
  const link = panel.links?.[0];
  body.innerHTML = `<table><thead><tr>${columns.map((c) => `<th>${c}</th>`).join('')}<th>value</th></tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr>${columns.map((c) => `<td class="${c === 'severity' ? `sev-${r.metric[c]}` : ''}">${r.metric[c] ?? ''}</td>`).join('')}<td>${formatValue(Number(r.value[1]), panel.fieldConfig?.defaults?.unit)}</td></tr>`,
    )
    .join('')}</tbody></table>${link ? `<p><a href="${link.url}" target="_blank" rel="noreferrer">${link.title}</a></p>` : ''}`;
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
    element.dataset.state = points > 0 ? 'ok' : 'empty';
  } catch (err) {
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
              `<tr class="alert"><td class="sev-${a.labels.severity}">${a.labels.severity}</td><td>${a.labels.alertname}</td><td>${a.annotations.summary ?? ''}</td><td><a class="runbook" href="${a.annotations.runbook_url}" target="_blank" rel="noreferrer">runbook</a></td></tr>`,
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
    const [budget, objective, burn, sli] = await Promise.all(
      ['slo:error_budget_remaining:ratio', 'slo:objective:ratio', 'slo:burn_rate:ratio_rate1h', '1 - slo:sli_error:ratio_rate30d'].map(
        (q) => prom('query', { query: q }),
      ),
    );
    const by = (result) => new Map(result.map((r) => [r.metric.slo, Number(r.value[1])]));
    const [b, o, r, s] = [by(budget), by(objective), by(burn), by(sli)];
    box.dataset.count = String(o.size);
    if (!o.size) {
      box.textContent = 'No SLO recording rules loaded in this Prometheus.';
      return;
    }
    box.innerHTML = `<table><thead><tr><th>SLO</th><th>objective</th><th>achieved (30d)</th><th>budget left</th><th>burn 1h</th></tr></thead><tbody>${[
      ...o.keys(),
    ]
      .sort()
      .map((name) => {
        const left = b.get(name);
        const cls = left === undefined ? '' : left <= 0 ? 'bad' : left < 0.25 ? 'risk' : 'ok';
        return `<tr class="slo"><td>${name}</td><td>${formatValue(o.get(name), 'percentunit')}</td><td>${formatValue(s.get(name), 'percentunit')}</td><td class="${cls}">${formatValue(left, 'percentunit')}</td><td>${formatValue(r.get(name), 'suffix:x')}</td></tr>`;
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
  for (const uid of config.dashboards) select.add(new Option(uid, uid));
  const wanted = location.hash.slice(1);
  if (config.dashboards.includes(wanted)) select.value = wanted;
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
