// Creates OpenTelemetry instruments from the metric catalogue, typed by each metric's label names,
// so a misspelt label is a type error rather than a silently empty dashboard panel.
import { metrics, type Counter, type Histogram, type ObservableGauge } from '@opentelemetry/api';
import type { MetricDefinition } from './metric-catalog.ts';

type Labels<D extends MetricDefinition> = Partial<Record<D['labels'][number], string>>;

const meter = () => metrics.getMeter('webhook-event-bus');

export function counter<D extends MetricDefinition & { kind: 'counter' }>(def: D): Counter<Labels<D>> {
  return meter().createCounter<Labels<D>>(def.name, { description: def.help });
}

export function histogram<D extends MetricDefinition & { kind: 'histogram' }>(def: D): Histogram<Labels<D>> {
  return meter().createHistogram<Labels<D>>(def.name, {
    description: def.help,
    unit: def.unit,
    advice: def.buckets ? { explicitBucketBoundaries: [...def.buckets] } : undefined,
  });
}

/** A gauge read at scrape time; `read` returns one value per label set. */
export function observedGauge<D extends MetricDefinition & { kind: 'gauge' }>(
  def: D,
  read: () => Array<[Labels<D>, number]>,
): ObservableGauge<Labels<D>> {
  const gauge = meter().createObservableGauge<Labels<D>>(def.name, { description: def.help });
  gauge.addCallback((result) => {
    for (const [labels, value] of read()) result.observe(value, labels);
  });
  return gauge;
}
