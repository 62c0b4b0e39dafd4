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
import { SLO_RULES_FILE } from './generate-rules.ts';
import { errorBudgetOf, loadSloSpecs, type SloSpec } from './spec.ts';

type Segment = { minutes: number; errorRatio: number; idle?: boolean };
type InputSeries = { series: string; values: string };

const EVENTS_PER_MINUTE = 600;

/** Samples at every `interval` minutes (t = 0 … end), built from the scenario's segments. */
function seriesFor(spec: SloSpec, segments: Segment[], interval: number, instances = 1): InputSeries[] {
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
          series: `webhook_gateway_processing_duration_seconds_bucket{${job('webhook-gateway')}, event_type="buddy.match.created", outcome="accepted", le="2"}`,
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
    ),
    promql_expr_test: [
      { expr: alertsQuery(page), eval_time: fmt(120 + detect - 2), exp_samples: [] },
      { expr: alertsQuery(page), eval_time: fmt(120 + detect + 1), exp_samples: [firing(page, spec, spec.alerting.page.severity)] },
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
        spec.name === 'webhook-uptime' ? 50 : 1,
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
  // Budget values: thirty days at half the budget rate, sampled every 10 minutes. The ratio is rounded
  // so that it is exact in floating point, as the counters built from it are.
  const ratio = +(budget / 2).toPrecision(6);
  const segments = [{ minutes: 30 * 24 * 60, errorRatio: ratio }];
  const input = seriesFor(spec, segments, 10);
  let expectedRatio = ratio;
  let expectedDayRatio = ratio;
  if (spec.name === 'webhook-uptime') {
    // Scrapes are whole: the realized share is down samples over the samples in the window,
    // both ends included (t = 0 … 30d, and the last day's 145 samples).
    const values = input[0]!.values.split(' ');
    const downShare = (vs: string[]) => vs.filter((v) => v === '0').length / vs.length;
    expectedRatio = downShare(values);
    expectedDayRatio = downShare(values.slice(-(24 * 6 + 1)));
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
    interval: '10m',
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
  return tests;
}

describe('generated SLO rules', () => {
  it('pass promtool check rules', () => {
    const out = execFileSync('promtool', ['check', 'rules', SLO_RULES_FILE], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(out).toContain('SUCCESS');
  });

  const specs = loadSloSpecs();
  it('cover the four SLOs of the design', () => {
    expect(specs.map((s) => s.name)).toEqual(['delivery-success', 'processing-latency', 'webhook-uptime', 'error-rate']);
  });

  // Alert scenarios evaluate every minute, the slow burn every 5 minutes, and the 30-day budget every hour (a minute-by-minute
  // month of 30-day-window rules would take promtool many minutes for no extra certainty).
  it.each(specs.map((s) => [s.name, s] as const))(
    '%s: fast burn pages, slow burn tickets, healthy and idle stay silent, budgets add up',
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
