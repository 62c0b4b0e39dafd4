// Every alert has a drill and a runbook to print. The WebhookGatewayDown drill runs end to end against
// a real demo in harness/demo/first-hour.test.ts.
import { describe, expect, it } from 'vitest';
import { loadRuleFile } from '../../observability/load-rule-files.ts';
import { DRILLS } from './drills.ts';
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
