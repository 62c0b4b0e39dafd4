// The ramp's stages as separate k6 scenarios, so that each stage is judged on its own: k6 tags every
// sample with its scenario, and a threshold per scenario sees that stage's p99, failures and dropped
// iterations only (a p99 over the whole run would let a fast first minute hide a slow last stage).
// Pure and free of k6 imports: Node tests read the same options k6 runs.

export type RampPlan = { rates: readonly number[]; stageSeconds: number; p99TargetMs: number; maxFailedRatio: number };
type Threshold = string | { threshold: string; abortOnFail: boolean; delayAbortEval: string };

export const RAMP_PLAN: RampPlan = {
  rates: [50, 100, 200, 400, 800],
  stageSeconds: 30,
  p99TargetMs: 250,
  // The gateway's error-rate SLO is 0.1 %: a stage above it is not a rate the stack "holds".
  maxFailedRatio: 0.001,
};

export const stageName = (rate: number) => `rate_${rate}`;

export function rampOptions(plan: RampPlan) {
  // Abort at the first stage that breaks; the last stage that passed is the answer. Ten seconds of
  // grace so that one slow first request of a new stage does not end the run alone.
  const judge = (threshold: string): Threshold => ({ threshold, abortOnFail: true, delayAbortEval: '10s' });
  const scenarios: Record<string, object> = {};
  const thresholds: Record<string, Threshold[]> = {};
  plan.rates.forEach((rate, i) => {
    const name = stageName(rate);
    scenarios[name] = {
      executor: 'constant-arrival-rate',
      rate,
      timeUnit: '1s',
      duration: `${plan.stageSeconds}s`,
      startTime: `${i * plan.stageSeconds}s`,
      // A second of arrivals in flight at once, and headroom for a latency of up to two seconds.
      preAllocatedVUs: rate,
      maxVUs: rate * 2,
      tags: { stage: name },
    };
    thresholds[`http_req_duration{scenario:${name}}`] = [judge(`p(99)<${plan.p99TargetMs}`)];
    thresholds[`http_req_failed{scenario:${name}}`] = [judge(`rate<${plan.maxFailedRatio}`)];
    // Dropped iterations: k6 had no VU free to start one on time, so the offered rate was not sent.
    thresholds[`dropped_iterations{scenario:${name}}`] = [judge('count==0')];
  });
  return { scenarios, thresholds };
}
