// Generated observability artifacts: each is rendered from its source and committed.
// `npm run generate` rewrites them; generate-artifacts.test.ts fails when a committed file drifts.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEMO_CONFIG, renderDemoConfig } from '../alertmanager/demo-config.ts';
import { DASHBOARDS, renderDashboard } from '../dashboards/index.ts';
import { renderSloRules, SLO_RULES_FILE } from '../slo/generate-rules.ts';
import { loadSloSpecs } from '../slo/spec.ts';
import { REPO_ROOT } from './repo-root.ts';
import { loadRuleFile, ruleFilePaths } from './load-rule-files.ts';
import { GUIDE_METRICS, MONITORING_GUIDE, renderMonitoringGuide } from './monitoring-guide.ts';

export type GeneratedFile = { path: string; render: () => string };

export const GENERATED_FILES: GeneratedFile[] = [
  { path: DEMO_CONFIG, render: () => renderDemoConfig() },
  { path: SLO_RULES_FILE, render: () => renderSloRules(loadSloSpecs()) },
  ...DASHBOARDS.map((d) => ({ path: d.file, render: () => renderDashboard(d.build) })),
  // Last: its tables read the rule files from disk, including the SLO rules written above.
  {
    path: MONITORING_GUIDE,
    render: () =>
      renderMonitoringGuide(readFileSync(path.join(REPO_ROOT, MONITORING_GUIDE), 'utf8'), {
        metrics: GUIDE_METRICS,
        ruleFiles: ruleFilePaths().map((p) => loadRuleFile(p)),
        dashboards: DASHBOARDS.map((d) => JSON.parse(renderDashboard(d.build))),
      }),
  },
];

if (import.meta.main) {
  for (const file of GENERATED_FILES) {
    const full = path.join(REPO_ROOT, file.path);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, file.render());
    console.log(`wrote ${file.path}`);
  }
}
