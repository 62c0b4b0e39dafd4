// The dashboards, each with the builder that produces its committed JSON (a test fails on drift).
import { DASHBOARD_FILES } from './catalog.ts';
import { eventBusOverview, OVERVIEW_UID } from './src/event-bus-overview.ts';
import { eventBusSlo, SLO_UID } from './src/event-bus-slo.ts';

const BUILDERS: Record<string, () => unknown> = { [OVERVIEW_UID]: eventBusOverview, [SLO_UID]: eventBusSlo };

export const DASHBOARDS = DASHBOARD_FILES.map((d) => ({ ...d, build: BUILDERS[d.uid]! }));

export function renderDashboard(build: () => unknown): string {
  return `${JSON.stringify(build(), null, 2)}\n`;
}
