// The design's canary as an Argo Rollout: 10 % → pause → 50 % → pause → 100 %, with a background
// analysis that reads the gateway's own SLIs (the SLO spec's queries, restricted to the canary's
// pods) and aborts, which rolls back, when the canary burns its error budget too fast.
import { AnalysisTemplate } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate';
import { Rollout } from '@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout';
import type { SyntaxNode } from '@lezer/common';
import { parsePromql } from '../../observability/promql/analysis.ts';
import { BURN_RATE_ALERTS } from '../../slo/generate-rules.ts';
import { errorBudgetOf, type SloSpec, withWindow } from '../../slo/spec.ts';
import { type Bench, SERVICES } from './topology.ts';
import { gatewayPodTemplate, labelsOf, selectorOf } from './workloads.ts';

/** The gateway SLOs a canary is judged by: its answers (5xx) and its latency to the JetStream ack. */
export const CANARY_SLOS = ['error-rate', 'processing-latency'] as const;

/**
 * A canary fails when it burns its budget more than 3x as fast as sustainable: the SLO ticket's
 * 1-day factor, so a version that would raise the ticket once promoted never reaches 100 %. For
 * error-rate (99.9 %) that is 0.3 % of requests answered 5xx; for latency (95 %), 15 % slower than 2 s.
 * A stricter 1x would roll back on a single NATS leader election; the pages' 14.4x would let a
 * version with half its requests slow go through.
 */
export const CANARY_MAX_BURN_RATE = BURN_RATE_ALERTS.ticket[0].factor;

/** The SLO's shortest alert window: a measurement sees the canary's own 5 minutes. */
export const ANALYSIS_WINDOW = '5m';
/** Three measurements per step: one bad window is allowed (failureLimit), two abort. */
export const PAUSE = '15m';
export const FAILURE_LIMIT = 1;

/** prometheus-operator's governing Service for the Prometheus CR named in deploy/README.md. */
export const PROMETHEUS_URL = 'http://prometheus-operated.monitoring.svc:9090';

/** The ServiceMonitor copies this pod label onto every gateway series (monitoring.ts). */
export const CANARY_HASH_LABEL = 'rollouts_pod_template_hash';
export const CANARY_HASH_ARG = '{{args.canary-hash}}';

function vectorSelectors(node: SyntaxNode, found: SyntaxNode[] = []): SyntaxNode[] {
  if (node.name === 'VectorSelector') found.push(node);
  else for (let c = node.firstChild; c; c = c.nextSibling) vectorSelectors(c, found);
  return found;
}

/** Adds `label="value"` to every vector selector of `expr`, using the PromQL grammar (not a regex). */
export function withMatcher(expr: string, label: string, value: string): string {
  const parsed = parsePromql(expr);
  if (parsed.errors.length) throw new Error(`cannot add a matcher to an invalid query: ${parsed.errors[0]}`);
  const matcher = `${label}=${JSON.stringify(value)}`;
  const edits = vectorSelectors(parsed.root).map((selector) => {
    const list = selector.getChild('LabelMatchers');
    if (!list) return { at: selector.to, text: `{${matcher}}` };
    const empty = !expr.slice(list.from + 1, list.to - 1).trim();
    return { at: list.to - 1, text: empty ? matcher : `,${matcher}` };
  });
  return edits.sort((a, b) => b.at - a.at).reduce((text, e) => text.slice(0, e.at) + e.text + text.slice(e.at), expr);
}

/**
 * The canary's error ratio for one SLO, from the spec's own queries. No errors counted yet is 0;
 * no requests at all gives no result (divided by `> 0`), which the conditions leave inconclusive:
 * a canary nobody called has proved nothing.
 */
export function canaryErrorRatio(spec: SloSpec, hash = CANARY_HASH_ARG): string {
  const scoped = (query: string) => withMatcher(withWindow(query, ANALYSIS_WINDOW), CANARY_HASH_LABEL, hash);
  const total = `(${scoped(spec.total)} > 0)`;
  if (spec.bad) return `(${scoped(spec.bad)} or vector(0)) / ${total}`;
  if (spec.good) return `1 - (${scoped(spec.good)} or vector(0)) / ${total}`;
  throw new Error(`SLO ${spec.name} has neither a bad nor a good query`);
}

export const canaryThreshold = (spec: SloSpec) => Math.round(errorBudgetOf(spec.objective) * CANARY_MAX_BURN_RATE * 1e9) / 1e9;

export function canarySlos(specs: readonly SloSpec[]): SloSpec[] {
  return CANARY_SLOS.map((name) => {
    const spec = specs.find((s) => s.name === name);
    if (!spec) throw new Error(`slo/event-bus.slo.yml has no SLO named ${name}`);
    if (spec.service !== 'gateway') throw new Error(`SLO ${name} is not the gateway's (${spec.service})`);
    return spec;
  });
}

export const ANALYSIS_TEMPLATE = 'gateway-slo';

export function analysisTemplate(specs: readonly SloSpec[]): AnalysisTemplate {
  return new AnalysisTemplate({
    metadata: { name: ANALYSIS_TEMPLATE, labels: labelsOf('gateway') },
    spec: {
      args: [{ name: 'canary-hash' }],
      metrics: canarySlos(specs).map((spec) => {
        const threshold = canaryThreshold(spec);
        return {
          name: spec.name,
          interval: ANALYSIS_WINDOW,
          // The first window needs five minutes of the canary's own traffic.
          initialDelay: ANALYSIS_WINDOW,
          successCondition: `len(result) > 0 && result[0] <= ${threshold}`,
          failureCondition: `len(result) > 0 && result[0] > ${threshold}`,
          failureLimit: FAILURE_LIMIT,
          provider: { prometheus: { address: PROMETHEUS_URL, query: canaryErrorRatio(spec) } },
        };
      }),
    },
  });
}

export const CANARY_STEPS = [
  { setWeight: 10 },
  { pause: { duration: PAUSE } },
  { setWeight: 50 },
  { pause: { duration: PAUSE } },
  { setWeight: 100 },
];

export function gatewayRollout(bench: Bench): Rollout {
  return new Rollout({
    metadata: { name: SERVICES.gateway.job, labels: labelsOf('gateway') },
    spec: {
      // Replicas are the HPA's (scaling.ts): left out so that an apply does not reset them.
      selector: { matchLabels: selectorOf('gateway') },
      template: gatewayPodTemplate(bench),
      strategy: {
        canary: {
          // Without a traffic router the weight is the share of pods: exact from ten replicas up.
          steps: CANARY_STEPS,
          analysis: {
            templates: [{ templateName: ANALYSIS_TEMPLATE }],
            startingStep: 1,
            args: [{ name: 'canary-hash', valueFrom: { podTemplateHashValue: 'Latest' } }],
          },
        },
      },
    },
  });
}
