import { describe, expect, it } from 'vitest';
import type { MetricDefinition } from '../app/telemetry/metric-catalog.ts';
import { RUNBOOK_BASE_URL } from './conventions.ts';
import type { RuleFile } from './load-rule-files.ts';
import {
  analyseUsage,
  dashboardLink,
  markdownTable,
  readableTemplate,
  renderMonitoringGuide,
  ruleMatchesSelector,
  runbookLink,
  spliceGenerated,
  thresholdText,
  type GuideSources,
} from './monitoring-guide.ts';

const metric = (name: string, kind: MetricDefinition['kind']): MetricDefinition => ({
  name,
  kind,
  services: ['gateway'],
  help: `${name} help.`,
  labels: [],
});

const ruleFiles: RuleFile[] = [
  {
    path: 'slo/x.rules.yml',
    groups: [
      {
        name: 'slo-a',
        rules: [
          { record: 'slo:err:rate5m', expr: 'sum(rate(a_total[5m]))', labels: { slo: 'a' } },
          { record: 'slo:burn:rate5m', expr: 'slo:err:rate5m{slo="a"} / 0.01', labels: { slo: 'a' } },
          { alert: 'ABurn', expr: 'slo:burn:rate5m{slo="a"} > 14.4', labels: { slo: 'a', severity: 'critical' } },
        ],
      },
      {
        name: 'slo-b',
        rules: [
          { record: 'slo:err:rate5m', expr: 'sum(rate(b_seconds_bucket{le="2"}[5m]))', labels: { slo: 'b' } },
          { alert: 'BDown', expr: 'up{job="b"} == 0', labels: { severity: 'critical' } },
        ],
      },
    ],
  },
];
const sources: GuideSources = {
  metrics: [metric('a_total', 'counter'), metric('b_seconds', 'histogram'), metric('c_depth', 'gauge')],
  ruleFiles,
  dashboards: [
    {
      uid: 'dash',
      title: 'Dash',
      panels: [
        { id: 1, type: 'timeseries', title: 'Errors', targets: [{ expr: 'slo:err:rate5m{slo=~"$slo"}' }] },
        { id: 2, type: 'row', title: 'More', panels: [{ id: 3, type: 'stat', title: 'Depth', targets: [{ expr: 'max(c_depth)' }] }] },
      ],
    },
  ],
};

describe('ruleMatchesSelector', () => {
  it.each([
    ['no matchers', {}, [], true],
    ['an equal static label', { slo: 'a' }, [{ label: 'slo', op: '=', value: 'a' }], true],
    ['a different static label', { slo: 'b' }, [{ label: 'slo', op: '=', value: 'a' }], false],
    ['a label the rule does not fix', {}, [{ label: 'slo', op: '=', value: 'a' }], true],
    ['a matching regex', { slo: 'ab' }, [{ label: 'slo', op: '=~', value: 'a.*' }], true],
    ['a regex matches whole values only', { slo: 'xab' }, [{ label: 'slo', op: '=~', value: 'a.*' }], false],
    ['a negative matcher', { slo: 'a' }, [{ label: 'slo', op: '!=', value: 'a' }], false],
    ['a negative regex', { slo: 'b' }, [{ label: 'slo', op: '!~', value: 'a|c' }], true],
  ])('%s', (_name, labels, matchers, expected) => {
    expect(ruleMatchesSelector({ labels }, { matchers })).toBe(expected);
  });
});

describe('analyseUsage', () => {
  const usage = analyseUsage(sources);

  it('follows recording rules down to metric families, only into the rules whose labels match', () => {
    expect([...usage.alertReads.get('ABurn')!]).toEqual(['a_total']);
    expect([...usage.readers.get('a_total')!.alerts]).toEqual(['ABurn']);
    expect(usage.readers.get('b_seconds')?.alerts.size ?? 0).toBe(0);
  });

  it('credits panels through Grafana variables and inside rows', () => {
    expect([...usage.readers.get('b_seconds')!.panels.keys()]).toEqual(['dash/1']);
    expect([...usage.readers.get('a_total')!.panels.keys()]).toEqual(['dash/1']);
    expect([...usage.readers.get('c_depth')!.panels.keys()]).toEqual(['dash/3']);
  });

  it('collects the series no service exports', () => {
    expect([...usage.otherSeries]).toEqual(['up']);
    expect([...usage.readers.get('up')!.alerts]).toEqual(['BDown']);
  });
});

describe('cells', () => {
  it.each([
    ['{{ if $labels.consumer }}consumer{{ else }}gateway{{ end }}', 'consumer or gateway'],
    ['gateway', 'gateway'],
  ])('readableTemplate(%j) = %j', (input, expected) => expect(readableTemplate(input)).toBe(expected));

  it.each([
    [`${RUNBOOK_BASE_URL}WebhookGatewayDown.md`, '[WebhookGatewayDown.md](../runbooks/WebhookGatewayDown.md)'],
    [`${RUNBOOK_BASE_URL}slo/error-rate.md#drill`, '[slo/error-rate.md](../runbooks/slo/error-rate.md#drill)'],
    ['https://elsewhere.example/x', 'https://elsewhere.example/x'],
    [undefined, '—'],
  ])('runbookLink(%j)', (url, expected) => expect(runbookLink(url)).toBe(expected));

  it.each([
    ['http://g/d/event-bus-overview/event-bus-overview?viewPanel=7', { uid: 'event-bus-overview', panelId: 7 }],
    ['http://g/d/event-bus-slo/event-bus-slo?var-slo=x', { uid: 'event-bus-slo', panelId: undefined }],
    ['http://g/d/o/o?orgId=1&viewPanel=panel-12', { uid: 'o', panelId: 12 }],
  ])('dashboardLink(%j)', (url, expected) => expect(dashboardLink(url)).toEqual(expected));

  it.each([
    [{}, '—'],
    [
      {
        thresholds: {
          steps: [
            { color: 'green', value: null },
            { color: 'red', value: 2 },
          ],
        },
      },
      '2 red',
    ],
    [
      {
        thresholds: {
          mode: 'percentage',
          steps: [
            { color: 'green', value: null },
            { color: 'orange', value: 80 },
          ],
        },
      },
      '80 % orange',
    ],
  ])('thresholdText(%j)', (defaults, expected) => expect(thresholdText({ type: 'stat', fieldConfig: { defaults } })).toBe(expected));

  it('aligns tables and escapes pipes and line breaks inside cells', () => {
    expect(markdownTable(['a', 'bb'], [['x|y', 'line\n  two']])).toBe(
      ['| a    | bb       |', '| ---- | -------- |', '| x\\|y | line two |'].join('\n'),
    );
  });
});

describe('spliceGenerated', () => {
  const doc = (body: string) =>
    `# Guide\nprose before\n<!-- BEGIN GENERATED t: npm run generate rewrites this part -->${body}<!-- END GENERATED t -->\nprose after\n`;

  it('replaces only what is between the markers, and is stable', () => {
    const once = spliceGenerated(doc('\nstale\n'), { t: '| new |' });
    expect(once).toBe(doc('\n\n| new |\n\n'));
    expect(spliceGenerated(once, { t: '| new |' })).toBe(once);
  });

  it('names the markers a section lacks', () => {
    expect(() => spliceGenerated('# Guide\n', { t: 'x' })).toThrow(/lacks the markers of its "t" section/);
  });

  it('renders every section of a guide from its sources', () => {
    const markers = ['metrics', 'other-series', 'recording-rules', 'slos', 'alerts', 'panels']
      .map((n) => `<!-- BEGIN GENERATED ${n}: npm run generate rewrites this part -->\n<!-- END GENERATED ${n} -->`)
      .join('\n');
    const out = renderMonitoringGuide(markers, sources);
    expect(out).toMatch(/^\| `a_total` +\| counter +\|.*\| ABurn +\| Errors \(dash #1\) +\|$/m);
    expect(out).toMatch(/^\| `up` +\| Prometheus, per scrape target.*\| BDown +\|/m);
    expect(out).toMatch(/^\| `slo:err:rate5m` +\| `slo\/x.rules.yml` +\| SLO: a, b +\| `a_total`, `b_seconds` +\|/m);
    expect(out).toMatch(/^\| `a` +\| — +\|/m);
    expect(out).toMatch(/^#### `slo\/x.rules.yml`$/m);
    expect(out).toMatch(/^\| 3 +\| Depth +\| stat +\|/m);
  });
});
