// Generated observability artifacts: each is rendered from its source and committed.
// `npm run generate` rewrites them; generate-artifacts.test.ts fails when a committed file drifts.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEMO_CONFIG, renderDemoConfig } from '../alertmanager/demo-config.ts';
import { DASHBOARDS, renderDashboard } from '../dashboards/index.ts';
import { renderSloRules, SLO_RULES_FILE } from '../slo/generate-rules.ts';
import { loadSloSpecs } from '../slo/spec.ts';
import { REPO_ROOT } from './repo-root.ts';

export type GeneratedFile = { path: string; render: () => string };

export const GENERATED_FILES: GeneratedFile[] = [
  { path: DEMO_CONFIG, render: () => renderDemoConfig() },
  { path: SLO_RULES_FILE, render: () => renderSloRules(loadSloSpecs()) },
  ...DASHBOARDS.map((d) => ({ path: d.file, render: () => renderDashboard(d.build) })),
];

if (import.meta.main) {
  for (const file of GENERATED_FILES) {
    const full = path.join(REPO_ROOT, file.path);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, file.render());
    console.log(`wrote ${file.path}`);
  }
}
