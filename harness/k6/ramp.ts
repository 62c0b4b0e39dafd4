// A ramp that looks for the highest rate held with p99 under a target (P99_TARGET_MS, default 250):
// k6 aborts the run when the threshold breaks, and the last stage reached is the answer.
import { check } from 'k6';
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { createEvent } from './lib/buddy-event.ts';

const target = Number(__ENV.P99_TARGET_MS ?? 250);

export const options: Options = {
  scenarios: {
    ramp: {
      executor: 'ramping-arrival-rate',
      startRate: 25,
      timeUnit: '1s',
      preAllocatedVUs: 100,
      maxVUs: 1000,
      stages: [50, 100, 200, 400, 800].map((rate) => ({ target: rate, duration: '30s' })),
    },
  },
  thresholds: {
    'http_req_duration{name:POST /events}': [{ threshold: `p(99)<${target}`, abortOnFail: true, delayAbortEval: '10s' }],
  },
};

export default function () {
  check(createEvent(exec.scenario.iterationInTest), { 'publisher accepted (202)': (ok) => ok });
}
