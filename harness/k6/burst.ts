// A spike of 200 events in 10 s on top of the sustained 50/s, 180 of them in the first second,
// after a 2 s lead-in: as harness/load preset "burst" (BURST in harness/load/presets.ts).
import { check } from 'k6';
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { createEvent } from './lib/buddy-event.ts';
import { burstScenarios } from './lib/burst-scenarios.ts';

export const options: Options = {
  scenarios: burstScenarios({ baseRate: 50, leadInMs: 2000, spikeEvents: 200, spikeMs: 10_000, firstSecondEvents: 180 }),
  // The end-of-test summary then shows dropped_iterations, http_req_failed and p50/p95/p99.
  summaryTrendStats: ['p(50)', 'p(95)', 'p(99)', 'max'],
  thresholds: { http_req_failed: ['rate==0'], dropped_iterations: ['count==0'] },
};

export default function () {
  check(createEvent(exec.scenario.iterationInTest), { 'publisher accepted (202)': (ok) => ok });
}
