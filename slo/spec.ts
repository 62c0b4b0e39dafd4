// The SLO spec format: OpenSLO v1 `kind: SLO` documents, with Prometheus ratio indicators and our
// `alerting` extension. Parsed once with zod; everything downstream works on SloSpec.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { zodIssuesToErrors } from '../app/validation/zod-issues.ts';
import { REPO_ROOT } from '../observability/repo-root.ts';

export const SLO_SPEC_FILE = 'slo/event-bus.slo.yml';

const query = z.strictObject({
  metricSource: z.strictObject({ type: z.literal('Prometheus'), spec: z.strictObject({ query: z.string().includes('{{window}}') }) }),
});
const severity = z.enum(['critical', 'warning']);
const alertKind = z.strictObject({ severity });

const duration = z.string().regex(/^\d+[mhdw]$|^1M$/, 'durations look like 30d, 4w or 1M (calendar month)');

const sloDocument = z.strictObject({
  apiVersion: z.literal('openslo/v1'),
  kind: z.literal('SLO'),
  metadata: z.strictObject({ name: z.string().regex(/^[a-z][a-z0-9-]*$/), displayName: z.string() }),
  spec: z.strictObject({
    description: z.string(),
    service: z.enum(['publisher', 'gateway', 'consumer']),
    budgetingMethod: z.literal('Occurrences'),
    indicator: z.strictObject({
      metadata: z.strictObject({ name: z.string() }),
      spec: z.strictObject({
        ratioMetric: z
          .strictObject({ counter: z.boolean(), good: query.optional(), bad: query.optional(), total: query })
          .refine((r) => !r.good !== !r.bad, 'give exactly one of good or bad'),
      }),
    }),
    timeWindow: z
      .array(
        z.strictObject({
          duration,
          isRolling: z.boolean(),
          calendar: z.strictObject({ startTime: z.string(), timeZone: z.string() }).optional(),
        }),
      )
      .length(1),
    objectives: z.array(z.strictObject({ displayName: z.string(), target: z.number().gt(0).lt(1) })).length(1),
    /**
     * Our extension for availability SLIs: the scrape job whose targets must exist. A target seen
     * within `forgetAfter` that has vanished (stopped container, DNS discovery) counts as down.
     */
    expectedTargets: z.strictObject({ job: z.string().regex(/^[a-z][a-z0-9-]*$/), forgetAfter: duration }).optional(),
    alerting: z.strictObject({
      /** CamelCase prefix of the generated alert names, e.g. WebhookDeliverySuccess. */
      name: z.string().regex(/^[A-Z][A-Za-z0-9]+$/),
      description: z.string().optional(),
      runbookUrl: z.url(),
      page: alertKind,
      ticket: alertKind,
      exhausted: alertKind,
    }),
  }),
});

export type SloDocument = z.infer<typeof sloDocument>;

export type SloSpec = {
  name: string;
  displayName: string;
  description: string;
  service: string;
  objective: number;
  objectiveName: string;
  /** Either the bad-events query or the good-events query, with {{window}} to fill in. */
  bad?: string;
  good?: string;
  total: string;
  window: { duration: string; rolling: boolean };
  expectedTargets?: { job: string; forgetAfter: string };
  alerting: SloDocument['spec']['alerting'];
};

export function toSloSpec(doc: SloDocument): SloSpec {
  const ratio = doc.spec.indicator.spec.ratioMetric;
  const window = doc.spec.timeWindow[0]!;
  return {
    name: doc.metadata.name,
    displayName: doc.metadata.displayName,
    description: doc.spec.description,
    service: doc.spec.service,
    objective: doc.spec.objectives[0]!.target,
    objectiveName: doc.spec.objectives[0]!.displayName,
    bad: ratio.bad?.metricSource.spec.query,
    good: ratio.good?.metricSource.spec.query,
    total: ratio.total.metricSource.spec.query,
    window: { duration: window.duration, rolling: window.isRolling },
    expectedTargets: doc.spec.expectedTargets,
    alerting: doc.spec.alerting,
  };
}

export function parseSloSpecs(yamlText: string): SloSpec[] {
  const docs = parseAllDocuments(yamlText);
  return docs.map((doc, i) => {
    if (doc.errors.length) throw new Error(`SLO document ${i + 1}: ${doc.errors[0]!.message}`);
    const result = sloDocument.safeParse(doc.toJS());
    if (!result.success) {
      throw new Error(
        `SLO document ${i + 1}: ${zodIssuesToErrors(result.error.issues)
          .map((e) => `${e.path}: ${e.message}`)
          .join('; ')}`,
      );
    }
    return toSloSpec(result.data);
  });
}

export function loadSloSpecs(file = SLO_SPEC_FILE): SloSpec[] {
  return parseSloSpecs(readFileSync(path.join(REPO_ROOT, file), 'utf8'));
}

/**
 * The SLI queries with `up{job=…}` replaced by slo:expected_target:up, the recording the generated
 * rules make for `expectedTargets`: it reads 0 for a target seen within forgetAfter but missing now,
 * so a vanished target counts as down, not as absent.
 */
export function readingExpectedTargets(spec: SloSpec): SloSpec {
  if (!spec.expectedTargets) return spec;
  const up = `up{job="${spec.expectedTargets.job}"}`;
  const recorded = `slo:expected_target:up{slo="${spec.name}"}`;
  if (!spec.total.includes(up)) throw new Error(`SLO ${spec.name}: expectedTargets needs ${up} in its queries`);
  const swap = (q: string | undefined) => q?.replaceAll(up, recorded);
  return { ...spec, total: swap(spec.total)!, good: swap(spec.good), bad: swap(spec.bad) };
}

/** A query with its window filled in. */
export function withWindow(query: string, window: string): string {
  return query.replaceAll('{{window}}', window);
}

const UNIT_SECONDS: Record<string, number> = { m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `30d` → 2592000. */
export function durationSeconds(duration: string): number {
  const match = /^(\d+)([mhdw])$/.exec(duration);
  if (!match) throw new Error(`not a duration: ${duration} (use e.g. 30d, 4w, 12h)`);
  return Number(match[1]) * UNIT_SECONDS[match[2]!]!;
}

/** 1 - objective, rounded so that 0.99 gives exactly 0.01 rather than 0.010000000000000009. */
export function errorBudgetOf(objective: number): number {
  return Math.round((1 - objective) * 1e9) / 1e9;
}
