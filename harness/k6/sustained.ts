// Sustained 50 events/s (the design's load target), open model, as harness/load presets "sustained".
import { check } from 'k6';
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { createEvent } from './lib/buddy-event.ts';

export const options: Options = {
  scenarios: {
    sustained: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE ?? 50),
      timeUnit: '1s',
      duration: __ENV.DURATION ?? '10m',
      preAllocatedVUs: 50,
      maxVUs: 200,
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.001'],
    'http_req_duration{name:POST /events}': ['p(99)<500'],
    dropped_iterations: ['count==0'],
  },
};

export default function () {
  check(createEvent(exec.scenario.iterationInTest), { 'publisher accepted (202)': (ok) => ok });
}
