// A ramp that looks for the highest rate held: each stage (RAMP_PLAN, harness/k6/lib/ramp-stages.ts)
// must keep its own p99 under P99_TARGET_MS (default 250), fail under 0.1 % of requests and drop no
// iteration. k6 aborts the run at the first stage that breaks; the last stage that passed is the answer.
import { check } from 'k6';
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { createEvent } from './lib/buddy-event.ts';
import { RAMP_PLAN, rampOptions } from './lib/ramp-stages.ts';

const plan = { ...RAMP_PLAN, p99TargetMs: Number(__ENV.P99_TARGET_MS ?? RAMP_PLAN.p99TargetMs) };

export const options: Options = {
  ...(rampOptions(plan) as Pick<Options, 'scenarios' | 'thresholds'>),
  summaryTrendStats: ['p(50)', 'p(95)', 'p(99)', 'max'],
};

export default function () {
  check(createEvent(exec.scenario.iterationInTest), { 'publisher accepted (202)': (ok) => ok });
}
