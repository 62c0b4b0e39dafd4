// A burst of 200 events in 10 s, as harness/load preset "burst".
import { check } from 'k6';
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { createEvent } from './lib/buddy-event.ts';

export const options: Options = {
  scenarios: {
    burst: { executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '10s', preAllocatedVUs: 50, maxVUs: 200 },
  },
  thresholds: { http_req_failed: ['rate==0'], dropped_iterations: ['count==0'] },
};

export default function () {
  check(createEvent(exec.scenario.iterationInTest), { 'publisher accepted (202)': (ok) => ok });
}
