// Every series name a dashboard query may use: exported by a service, recorded by one of our rules,
// or made by Prometheus itself (up, ALERTS).
import { loadRuleFile, ruleFilePaths } from '../observability/load-rule-files.ts';
import { exportedSeries } from '../alerts/lint/rule-linter.ts';

export function knownSeries(): Set<string> {
  const recorded = ruleFilePaths()
    .map((p) => loadRuleFile(p))
    .flatMap((f) => f.groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))));
  return new Set([...exportedSeries().labels.keys(), ...recorded, 'ALERTS', 'ALERTS_FOR_STATE']);
}
