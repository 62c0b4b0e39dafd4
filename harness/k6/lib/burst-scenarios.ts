// The burst as k6 scenarios: the sustained rate throughout, plus the spike's first second and its
// tail, each a constant-arrival-rate scenario starting at its offset. No imports, so k6 loads it;
// harness/load/presets.test.ts holds it equal to the open-model preset (BURST there).
export type BurstPlan = { baseRate: number; leadInMs: number; spikeEvents: number; spikeMs: number; firstSecondEvents: number };

export function burstScenarios(b: BurstPlan) {
  const vus = (perSecond: number) => ({ preAllocatedVUs: Math.ceil(perSecond), maxVUs: Math.ceil(perSecond) * 4 });
  const tailSeconds = (b.spikeMs - 1000) / 1000;
  return {
    sustained: {
      executor: 'constant-arrival-rate' as const,
      rate: b.baseRate,
      timeUnit: '1s',
      duration: `${(b.leadInMs + b.spikeMs) / 1000}s`,
      ...vus(b.baseRate),
    },
    spike: {
      executor: 'constant-arrival-rate' as const,
      rate: b.firstSecondEvents,
      timeUnit: '1s',
      duration: '1s',
      startTime: `${b.leadInMs / 1000}s`,
      ...vus(b.firstSecondEvents),
    },
    spikeTail: {
      executor: 'constant-arrival-rate' as const,
      rate: b.spikeEvents - b.firstSecondEvents,
      timeUnit: `${tailSeconds}s`,
      duration: `${tailSeconds}s`,
      startTime: `${b.leadInMs / 1000 + 1}s`,
      ...vus(10),
    },
  };
}
