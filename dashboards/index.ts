// The dashboards and the files they are generated into (committed; a test fails on drift).
import { eventBusOverview, OVERVIEW_UID } from './src/event-bus-overview.ts';
import { eventBusSlo, SLO_UID } from './src/event-bus-slo.ts';

export const DASHBOARDS = [
  { uid: OVERVIEW_UID, file: 'dashboards/generated/event-bus-overview.json', build: eventBusOverview },
  { uid: SLO_UID, file: 'dashboards/generated/event-bus-slo.json', build: eventBusSlo },
];

export function renderDashboard(build: () => unknown): string {
  return JSON.stringify(build(), null, 2) + '\n';
}
