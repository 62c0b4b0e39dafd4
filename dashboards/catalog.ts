// Which dashboards exist and where their generated JSON lives. Kept free of the Grafana SDK so the
// console (and a production image) can read it without the build-time dependencies.
export const DASHBOARD_FILES = [
  { uid: 'event-bus-overview', file: 'dashboards/generated/event-bus-overview.json' },
  { uid: 'event-bus-slo', file: 'dashboards/generated/event-bus-slo.json' },
] as const;
