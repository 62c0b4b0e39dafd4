// The generated SLO rules under promtool, scenario by scenario, for every SLO:
//   a fast burn pages within the time the SRE workbook predicts, a slow burn opens only a ticket,
//   healthy and idle traffic stay silent, and the recording rules give the budget numbers that
//   follow from the scenario's construction.
// Expected times and values are computed here from first principles, not from the generator.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { tempDir } from '../harness/integration/support.ts';
import { REPO_ROOT } from '../observability/repo-root.ts';
import { SLI_ABSENT_FOR, SLO_RULES_FILE } from './generate-rules.ts';
import { errorBudgetOf, loadSloSpecs, type SloSpec } from './spec.ts';

type Segment = { minutes: number; errorRatio: number; idle?: boolean };
type InputSeries = { series: string; values: string };

const EVENTS_PER_MINUTE = 600;

/**
 * Samples at every `interval` minutes (t = 0 … end), built from the scenario's segments. Prometheus 3
 * writes a bucket's `le` as "2.0" where Prometheus 2 writes "2"; the SLIs must read both.
 */
function seriesFor(
  spec: SloSpec,
  segments: Segment[],
  interval: number,
  { instances = 1, prometheus3 = false }: { instances?: number; prometheus3?: boolean } = {},
): InputSeries[] {
  const le = (bound: number) => (prometheus3 ? bound.toFixed(1) : String(bound));
  const perSample: { bad: number; total: number; down: boolean }[] = [];
  for (const seg of segments) {
    let downSoFar = 0;
    let samples = 0;
    for (let m = 0; m < seg.minutes; m += interval) {
      const total = seg.idle ? 0 : EVENTS_PER_MINUTE * interval;
      // Bresenham spreading, so a 2 % outage is one down scrape in fifty, evenly.
      samples++;
      const down = Math.floor(samples * seg.errorRatio) > downSoFar;
      if (down) downSoFar++;
      perSample.push({ bad: total * seg.errorRatio, total, down });
    }
  }
  const cumulative = (pick: (s: { bad: number; total: number }) => number) => {
    let sum = 0;
    const values = perSample.map((s) => {
      sum += pick(s);
      return String(sum);
    });
    return ['0', ...values].join(' ');
  };
  const job = (name: string) => `job="${name}"`;
  switch (spec.name) {
    case 'delivery-success':
      return [
        {
          series: `webhook_publisher_events_total{${job('webhook-publisher')}, event_type="buddy.match.created", outcome="delivered"}`,
          values: cumulative((s) => s.total - s.bad),
        },
        {
          series: `webhook_publisher_events_total{${job('webhook-publisher')}, event_type="buddy.match.created", outcome="dead_lettered"}`,
          values: cumulative((s) => s.bad),
        },
      ];
    case 'processing-latency':
      return [
        {
          series: `webhook_gateway_processing_duration_seconds_bucket{${job('webhook-gateway')}, event_type="buddy.match.created", outcome="accepted", le="${le(2)}"}`,
          values: cumulative((s) => s.total - s.bad),
        },
        {
          series: `webhook_gateway_processing_duration_seconds_count{${job('webhook-gateway')}, event_type="buddy.match.created", outcome="accepted"}`,
          values: cumulative((s) => s.total),
        },
      ];
    case 'webhook-uptime': {
      if (instances === 1)
        return [
          {
            series: `up{${job('webhook-gateway')}, instance="gateway:3000"}`,
            values: ['1', ...perSample.map((s) => (s.down ? '0' : '1'))].join(' '),
          },
        ];
      // Several replicas: an error ratio e is round(e * instances) replicas down for the whole segment.
      return Array.from({ length: instances }, (_, i) => {
        const values: string[] = ['1'];
        for (const seg of segments)
          for (let m = 0; m < seg.minutes; m += interval) values.push(i < Math.round(seg.errorRatio * instances) ? '0' : '1');
        return { series: `up{${job('webhook-gateway')}, instance="gateway-${i}:3000"}`, values: values.join(' ') };
      });
    }
    case 'error-rate':
      return [
        {
          series: `webhook_gateway_events_received_total{${job('webhook-gateway')}, event_type="buddy.match.created", outcome="accepted"}`,
          values: cumulative((s) => s.total),
        },
        { series: `webhook_gateway_errors_total{${job('webhook-gateway')}, reason="bus_unavailable"}`, values: cumulative((s) => s.bad) },
      ];
    case 'end-to-end-latency':
      return [
        {
          series: `event_consumer_end_to_end_latency_seconds_bucket{${job('event-consumer')}, consumer="q2q-ai", le="${le(5)}"}`,
          values: cumulative((s) => s.total - s.bad),
        },
        {
          series: `event_consumer_end_to_end_latency_seconds_count{${job('event-consumer')}, consumer="q2q-ai"}`,
          values: cumulative((s) => s.total),
        },
      ];
    default:
      throw new Error(`no test series for SLO ${spec.name}`);
  }
}

const firing = (alertname: string, spec: SloSpec, severity: string) => ({
  labels: `{__name__="ALERTS", alertname="${alertname}", alertstate="firing", severity="${severity}", slo="${spec.name}", service="${spec.service}"}`,
  value: 1,
});
const fmt = (minutes: number) => `${minutes}m`;

function testsFor(spec: SloSpec) {
  const budget = 1 - spec.objective;
  const page = `${spec.alerting.name}BudgetBurnPage`;
  const alertsQuery = (name: string) => `ALERTS{alertname="${name}", alertstate="firing"}`;
  const tests: object[] = [];

  // Fast burn: 20x the sustainable rate after two healthy hours; for uptime, whose errors are whole
  // scrapes, a full outage. Workbook detection time for 14.4x over 1h is
  // 14.4 * budget * 60 min / errorRatio, then `for: 2m`.
  const fastRatio = spec.name === 'webhook-uptime' ? 1 : Math.min(1, 20 * budget);
  const detect = Math.ceil((14.4 * budget * 60) / fastRatio + 2);
  tests.push({
    name: `${spec.name}: fast burn pages within ${detect} minutes`,
    interval: '1m',
    input_series: seriesFor(
      spec,
      [
        { minutes: 120, errorRatio: 0 },
        { minutes: 180, errorRatio: fastRatio },
      ],
      1,
      { prometheus3: true },
    ),
    promql_expr_test: [
      { expr: alertsQuery(page), eval_time: fmt(120 + detect - 2), exp_samples: [] },
      { expr: alertsQuery(page), eval_time: fmt(120 + detect + 1), exp_samples: [firing(page, spec, spec.alerting.page.severity)] },
    ],
  });

  // A stack burning from its first minute: the 1h burn is then the burn of those minutes, so the page
  // waits until the history spans 54 minutes (slo/coverage.ts), then `for: 2m`.
  tests.push({
    name: `${spec.name}: a young stack's burn pages only once its history covers the hour`,
    interval: '1m',
    input_series: seriesFor(spec, [{ minutes: 90, errorRatio: fastRatio }], 1, { prometheus3: true }),
    promql_expr_test: [
      { expr: alertsQuery(page), eval_time: fmt(55), exp_samples: [] },
      { expr: alertsQuery(page), eval_time: fmt(60), exp_samples: [firing(page, spec, spec.alerting.page.severity)] },
    ],
  });

  // Healthy: a tenth of the budget rate for four hours.
  tests.push({
    name: `${spec.name}: healthy traffic is silent`,
    interval: '1m',
    input_series: seriesFor(spec, [{ minutes: 240, errorRatio: budget / 10 }], 1),
    promql_expr_test: [{ expr: `ALERTS{slo="${spec.name}"}`, eval_time: '4h', exp_samples: [] }],
  });

  // No traffic: counters stand still (the gateway is up but idle). Ratios are 0, not NaN.
  const idle = spec.name === 'webhook-uptime' ? [{ minutes: 240, errorRatio: 0 }] : [{ minutes: 240, errorRatio: 0, idle: true }];
  tests.push({
    name: `${spec.name}: no traffic is silent and not NaN`,
    interval: '1m',
    input_series: seriesFor(spec, idle, 1),
    promql_expr_test: [
      { expr: `ALERTS{slo="${spec.name}"}`, eval_time: '4h', exp_samples: [] },
      {
        expr: `slo:sli_error:ratio_rate5m{slo="${spec.name}"}`,
        eval_time: '4h',
        exp_samples: [{ labels: `{__name__="slo:sli_error:ratio_rate5m", slo="${spec.name}", service="${spec.service}"}`, value: 0 }],
      },
      {
        expr: `slo:error_budget_remaining:ratio{slo="${spec.name}"}`,
        eval_time: '4h',
        exp_samples: [{ labels: `{__name__="slo:error_budget_remaining:ratio", slo="${spec.name}", service="${spec.service}"}`, value: 1 }],
      },
    ],
  });

  // The SLI's series vanish (a renamed metric, an unscraped service): after SLI_ABSENT_FOR the absence
  // alert fires, where the burn alerts can only stay silent. Uptime keeps a vanished target as down
  // for a day (scenario below), so its SLI is missing only when the target was never seen.
  const absent = `${spec.alerting.name}SliAbsent`;
  const healthyHalfHour = seriesFor(spec, [{ minutes: 30, errorRatio: 0 }], 1);
  const gone = spec.name === 'webhook-uptime' ? 0 : 35; // a 5-minute rate needs two samples
  const absentFor = Number.parseInt(SLI_ABSENT_FOR, 10);
  tests.push({
    name: `${spec.name}: a vanished SLI alerts ${SLI_ABSENT_FOR} after it is gone`,
    interval: '1m',
    input_series:
      spec.name === 'webhook-uptime'
        ? [{ series: 'up{job="webhook-publisher", instance="publisher:3001"}', values: '1x60' }]
        : healthyHalfHour,
    promql_expr_test: [
      { expr: alertsQuery(absent), eval_time: fmt(gone + absentFor - 1), exp_samples: [] },
      { expr: alertsQuery(absent), eval_time: fmt(gone + absentFor + 1), exp_samples: [firing(absent, spec, 'warning')] },
    ],
  });

  if (spec.name === 'webhook-uptime') {
    // Compose's DNS discovery drops a stopped gateway: its `up` series ends rather than reading 0.
    // The raw `up` SLI gave an error ratio of 0 here. promtool writes no staleness marker, so the
    // last sample stays visible for the 5-minute lookback: t = 126 … 170 read down, 45 of the 61
    // minutes in the hour before t = 170.
    tests.push({
      name: 'webhook-uptime: a gateway that vanishes for 50 minutes counts as down',
      interval: '1m',
      input_series: [{ series: 'up{job="webhook-gateway", instance="gateway:3000"}', values: '1x120 _x50 1x60' }],
      promql_expr_test: [
        {
          expr: `abs(slo:sli_error:ratio_rate1h{slo="webhook-uptime"} - ${45 / 61}) < bool 1e-9`,
          eval_time: '170m',
          exp_samples: [{ labels: '{slo="webhook-uptime", service="gateway"}', value: 1 }],
        },
        { expr: alertsQuery(page), eval_time: '170m', exp_samples: [firing(page, spec, spec.alerting.page.severity)] },
        { expr: alertsQuery(absent), eval_time: '170m', exp_samples: [] },
      ],
    });
  }

  return tests;
}

/** Runs a promtool test file; returns its exit code and output. */
function promtoolTest(dir: string, file: string): { code: number; output: string } {
  try {
    return {
      code: 0,
      output: execFileSync('promtool', ['test', 'rules', file], { cwd: dir, encoding: 'utf8', stdio: 'pipe', maxBuffer: 64 * 1024 * 1024 }),
    };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, output: e.stdout + e.stderr };
  }
}

/** One SLO's rule group alone, so each scenario evaluates only the rules it tests. */
function writeRulesFor(spec: SloSpec, dir: string): string {
  const all = parse(readFileSync(path.join(REPO_ROOT, SLO_RULES_FILE), 'utf8')) as { groups: { name: string }[] };
  const file = `${spec.name}.rules.yml`;
  writeFileSync(path.join(dir, file), stringify({ groups: all.groups.filter((g) => g.name === `slo-${spec.name}`) }, { lineWidth: 0 }));
  return file;
}

// Slow burn: 4x after three healthy days, enough for the 3x/1d and 1x/3d ticket after 18 h and never
// enough for either page condition. Sampled and evaluated every 5 minutes to keep promtool quick.
function slowBurnTestsFor(spec: SloSpec) {
  const budget = 1 - spec.objective;
  const page = `${spec.alerting.name}BudgetBurnPage`;
  const ticket = `${spec.alerting.name}BudgetBurnTicket`;
  const alertsQuery = (name: string) => `ALERTS{alertname="${name}", alertstate="firing"}`;
  const healthy = 3 * 24 * 60;
  // 4 * d / 1440 > 3 and 4 * d / 4320 > 1 both give d > 18 h; then `for: 10m`.
  const at = (minutes: number) => fmt(healthy + minutes);
  return [
    {
      name: `${spec.name}: slow burn opens a ticket and never pages`,
      interval: '5m',
      // For uptime: one gateway replica of fifty down is a steady 2 %, without scrape-sized jumps.
      input_series: seriesFor(
        spec,
        [
          { minutes: healthy, errorRatio: 0 },
          { minutes: 20 * 60, errorRatio: 4 * budget },
        ],
        5,
        { instances: spec.name === 'webhook-uptime' ? 50 : 1 },
      ),
      promql_expr_test: [
        { expr: alertsQuery(ticket), eval_time: at(17 * 60 + 45), exp_samples: [] },
        { expr: alertsQuery(ticket), eval_time: at(18 * 60 + 30), exp_samples: [firing(ticket, spec, spec.alerting.ticket.severity)] },
        { expr: `count(ALERTS{alertname="${page}"})`, eval_time: at(18 * 60 + 30), exp_samples: [] },
        { expr: `count(ALERTS{alertname="${page}"})`, eval_time: at(19 * 60 + 55), exp_samples: [] },
      ],
    },
  ];
}

function budgetTestsFor(spec: SloSpec) {
  const budget = 1 - spec.objective;
  const exhausted = `${spec.alerting.name}BudgetExhausted`;
  const tests: object[] = [];
  // Budget values: thirty days at half the budget rate, evaluated every hour; the long windows sum
  // the hourly 5-minute recordings. Counters are sampled every 5 minutes (a 5-minute rate needs two
  // samples). The ratio is rounded so that it is exact in floating point, as the counters built from it are.
  const ratio = +(budget / 2).toPrecision(6);
  const segments = [{ minutes: 30 * 24 * 60, errorRatio: ratio }];
  const uptime = spec.name === 'webhook-uptime';
  const sampleMinutes = uptime ? 60 : 5;
  const input = seriesFor(spec, segments, sampleMinutes, { prometheus3: true });
  let expectedRatio = ratio;
  let expectedDayRatio = ratio;
  if (uptime) {
    // Scrapes are whole, one per evaluation: the realized share is down samples over the samples in
    // the window, both ends included (t = 0 … 30d, and the last day's 25 samples).
    const values = input[0]!.values.split(' ');
    const downShare = (vs: string[]) => vs.filter((v) => v === '0').length / vs.length;
    expectedRatio = downShare(values);
    expectedDayRatio = downShare(values.slice(-(24 + 1)));
  }
  const sample = (metric: string, value: number) => ({
    labels: `{__name__="${metric}", slo="${spec.name}", service="${spec.service}"}`,
    value,
  });
  // Float sums of rates differ from the exact ratio in the last bit; compare within 1e-9.
  const near = (metric: string, value: number) => ({
    expr: `abs(${metric}{slo="${spec.name}"} - ${value}) < bool 1e-9`,
    eval_time: '30d',
    exp_samples: [{ labels: `{slo="${spec.name}", service="${spec.service}"}`, value: 1 }],
  });
  const roundedBudget = errorBudgetOf(spec.objective);
  tests.push({
    name: `${spec.name}: recording rules give the budget numbers`,
    interval: `${sampleMinutes}m`,
    input_series: input,
    promql_expr_test: [
      near('slo:sli_error:ratio_rate30d', expectedRatio),
      near('slo:sli_error:ratio_rate1d', expectedDayRatio),
      near('slo:burn_rate:ratio_rate30d', expectedRatio / roundedBudget),
      near('slo:error_budget_remaining:ratio', 1 - expectedRatio / roundedBudget),
      { expr: `slo:objective:ratio{slo="${spec.name}"}`, eval_time: '30d', exp_samples: [sample('slo:objective:ratio', spec.objective)] },
      { expr: `ALERTS{alertname="${exhausted}"}`, eval_time: '30d', exp_samples: [] },
    ],
  });
  // Overspent both times; only the history differs. Hours of it are too little to call the 30-day
  // budget spent (slo/coverage.ts); four days at four times the budget rate are not.
  // (Uptime is judged per scrape of one target: a share of it down means every scrape down.)
  const overspent = uptime ? 1 : +(budget * 4).toPrecision(6);
  const firingCount = (evalTime: string, count: number) => ({
    expr: `count(ALERTS{alertname="${exhausted}", alertstate="firing"})`,
    eval_time: evalTime,
    exp_samples: count ? [{ labels: '{}', value: count }] : [],
  });
  tests.push({
    name: `${spec.name}: a young, overspent SLO is not called exhausted`,
    interval: `${sampleMinutes}m`,
    input_series: seriesFor(spec, [{ minutes: 6 * 60, errorRatio: overspent }], sampleMinutes, { prometheus3: true }),
    promql_expr_test: [
      {
        expr: `count(slo:error_budget_remaining:ratio{slo="${spec.name}"} <= 0)`,
        eval_time: '6h',
        exp_samples: [{ labels: '{}', value: 1 }],
      },
      firingCount('6h', 0),
    ],
  });
  tests.push({
    name: `${spec.name}: four overspent days are`,
    interval: `${sampleMinutes}m`,
    input_series: seriesFor(spec, [{ minutes: 4 * 24 * 60, errorRatio: overspent }], sampleMinutes, { prometheus3: true }),
    promql_expr_test: [firingCount('4d', 1)],
  });
  return tests;
}

describe('generated SLO rules', () => {
  it('pass promtool check rules', () => {
    const out = execFileSync('promtool', ['check', 'rules', SLO_RULES_FILE], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(out).toContain('SUCCESS');
  });

  const specs = loadSloSpecs();
  it('cover the four SLOs of the design, and end-to-end latency for every transport mode', () => {
    expect(specs.map((s) => s.name)).toEqual([
      'delivery-success',
      'processing-latency',
      'webhook-uptime',
      'error-rate',
      'end-to-end-latency',
    ]);
  });

  // Alert scenarios evaluate every minute, the slow burn every 5 minutes, and the 30-day budget every hour (a minute-by-minute
  // month of 30-day-window rules would take promtool many minutes for no extra certainty).
  it.each(specs.map((s) => [s.name, s] as const))(
    '%s: fast burn pages, slow burn tickets, healthy and idle stay silent, a missing SLI alerts, budgets add up',
    (_name, spec) => {
      const dir = tempDir(`slo-${spec.name}`);
      const rules = writeRulesFor(spec, dir);
      const files = [
        { name: 'alerts.test.yml', content: { rule_files: [rules], evaluation_interval: '1m', tests: testsFor(spec) } },
        { name: 'slow-burn.test.yml', content: { rule_files: [rules], evaluation_interval: '5m', tests: slowBurnTestsFor(spec) } },
        { name: 'budget.test.yml', content: { rule_files: [rules], evaluation_interval: '1h', tests: budgetTestsFor(spec) } },
      ];
      for (const file of files) {
        writeFileSync(path.join(dir, file.name), stringify(file.content, { lineWidth: 0 }));
        const { code, output } = promtoolTest(dir, file.name);
        expect(output.slice(0, 4000), `${spec.name} ${file.name}`).toContain('SUCCESS');
        expect(code).toBe(0);
      }
    },
    120_000,
  );
});
