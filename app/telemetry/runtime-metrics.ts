// Heap and event-loop delay of the process, for the soak and dashboards. Started by preload.ts.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { observedGauge } from './instruments.ts';
import { METRICS } from './metric-catalog.ts';

export function startRuntimeMetrics(): void {
  // 20 ms resolution: finer sampling costs CPU for detail no alert or soak bound needs.
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  observedGauge(METRICS.processHeapUsed, () => [[{}, process.memoryUsage().heapUsed]]);
  observedGauge(METRICS.processEventLoopDelayP99, () => {
    // Per scrape interval, so a stall shows in the next sample instead of being averaged away.
    const p99 = delay.count > 0 ? delay.percentile(99) / 1e9 : 0;
    delay.reset();
    return [[{}, p99]];
  });
}
