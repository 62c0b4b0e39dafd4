// Every alert has a drill and a runbook to print. The WebhookGatewayDown drill runs end to end against
// a real demo in harness/demo/first-hour.test.ts.
import { describe, expect, it } from 'vitest';
import { loadRuleFile } from '../../observability/load-rule-files.ts';
import { DRILLS } from './drills.ts';
import { clearingHint } from './residue.ts';
import { type DrillResult, drillMarkdown, drillOutcome } from './run-drill.ts';
import { runbookFor } from './runbook-sections.ts';

describe('drills', () => {
  it('cover every alert, each with a runbook Diagnosis and Mitigation to print', () => {
    const alerts = loadRuleFile('alerts/event-bus.rules.yml').groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(DRILLS.map((d) => d.alert).sort()).toEqual([...alerts].sort());
    for (const d of DRILLS) {
      const runbook = runbookFor(d.alert);
      expect(runbook.diagnosis.length, d.alert).toBeGreaterThan(100);
      expect(runbook.mitigation.length, d.alert).toBeGreaterThan(100);
    }
  });
});

describe('drill report', () => {
  const result = (over: Partial<DrillResult>): DrillResult => ({
    alert: 'WebhookGatewayDown',
    fault: 'kill the gateway',
    mitigation: 'restart the gateway',
    timeScale: 1,
    timeToFireMs: 75_000,
    timeToResolveMs: 20_000,
    pass: true,
    timeToQuietMs: 30_000,
    residue: [],
    outcome: '',
    ...over,
  });
  const left = (name: string, labels: Record<string, string> = {}) => ({
    name,
    labels: { alertname: name, ...labels },
    hint: clearingHint(name),
  });

  it('a clean pass is plain pass', () => {
    expect(drillOutcome(result({}))).toBe('pass');
    expect(drillMarkdown([result({})])).toContain('| 75.0 s | 20.0 s | 30.0 s | pass |');
  });

  it('a pass that left alerts firing says which, once per alert, and what clears each, in the table too', () => {
    const r = result({
      timeToQuietMs: null,
      residue: [
        left('WebhookDeadLetterQueueNotEmpty', { instance: 'p1' }),
        left('WebhookDeadLetterQueueNotEmpty', { instance: 'p2' }),
        left('WebhookUptimeBudgetBurnPage'),
      ],
    });
    const outcome = drillOutcome(r);
    expect(outcome).toBe(
      `pass, left firing: WebhookDeadLetterQueueNotEmpty (npm run dead-letters -- replay --all); WebhookUptimeBudgetBurnPage (${clearingHint('WebhookUptimeBudgetBurnPage')})`,
    );
    const row = drillMarkdown([r])
      .split('\n')
      .find((line) => line.startsWith('| WebhookGatewayDown'));
    expect(row).toBe(`| WebhookGatewayDown | kill the gateway | 75.0 s | 20.0 s | – | ${outcome} |`);
  });

  it('a failure keeps its reason and still lists what it left firing', () => {
    const r = result({ pass: false, error: 'did not resolve within 810 s', residue: [left('WebhookGatewayDown')] });
    expect(drillOutcome(r)).toBe(
      'FAIL: did not resolve within 810 s; left firing: WebhookGatewayDown (see runbooks/WebhookGatewayDown.md)',
    );
  });

  it('escapes a pipe in a clearing command, which would split the table cell', () => {
    const r = result({ residue: [{ name: 'X', labels: {}, hint: 'curl -s x | jq .' }] });
    expect(drillMarkdown([r])).toContain('| pass, left firing: X (curl -s x \\| jq .) |');
  });
});
