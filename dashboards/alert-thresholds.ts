// Does the panel an alert links to show the alert's threshold? An on-call engineer who follows the
// alert's `dashboard` link should see the line the series crossed. Pure: rules and dashboards in, gaps out.
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import { parsePromql, selectors } from '../observability/promql/analysis.ts';
import { expandVariables, type Dashboard, type Panel } from './validate.ts';

export type Comparison = { op: string; value: number };

const COMPARISONS = new Set(['Gtr', 'Gte', 'Lss', 'Lte', 'Eql', 'Neq']);

/**
 * Every `<series> <op> <number>` (or `<number> <op> <series>`) comparison in an alert expression,
 * except conditions after an `and`: those are guards (enough traffic, nothing handled), not the line
 * the series crosses. `a > 14.4 and b > 14.4` yields 14.4 once, from `a`.
 */
export function alertThresholds(expr: string): Comparison[] {
  const found: Comparison[] = [];
  parser.parse(expr).iterate({
    enter: (ref) => {
      if (ref.name !== 'BinaryExpr') return;
      const node: SyntaxNode = ref.node;
      if (isGuard(node)) return false;
      let op: SyntaxNode | undefined;
      const operands: SyntaxNode[] = [];
      for (let c = node.firstChild; c; c = c.nextSibling) {
        if (COMPARISONS.has(c.name)) op = c;
        else if (c.name !== 'BoolModifier') operands.push(c);
      }
      const literal = operands.find((o) => o.name === 'NumberDurationLiteral' || o.name === 'NumberLiteral');
      if (!op || !literal || operands.length !== 2) return;
      const value = Number(expr.slice(literal.from, literal.to));
      if (Number.isFinite(value)) found.push({ op: expr.slice(op.from, op.to), value });
    },
  });
  return found;
}

function isGuard(node: SyntaxNode): boolean {
  let operand = node;
  while (operand.parent?.name === 'ParenExpr') operand = operand.parent;
  const parent = operand.parent;
  if (parent?.name !== 'BinaryExpr' || !parent.getChild('And')) return false;
  let operands = 0;
  for (let c = parent.firstChild; c; c = c.nextSibling) {
    if (c.from === operand.from && c.to === operand.to) return operands === 1;
    if (!['And', 'BoolModifier', 'OnOrIgnoring', 'MatchingModifierClause'].includes(c.name)) operands++;
  }
  return false;
}

type Steps = { steps?: { value: number | null }[] };
export type ThresholdPanel = Panel & {
  fieldConfig?: {
    defaults?: { unit?: string; thresholds?: Steps };
    overrides?: { properties?: { id: string; value?: unknown }[] }[];
  };
};

/** The values a panel marks: threshold steps (defaults and per-series overrides) and value mappings. */
export function shownValues(panel: ThresholdPanel): Set<number> {
  const values = new Set<number>();
  const addSteps = (t: Steps | undefined) => {
    for (const s of t?.steps ?? []) if (typeof s.value === 'number') values.add(s.value);
  };
  addSteps(panel.fieldConfig?.defaults?.thresholds);
  for (const o of panel.fieldConfig?.overrides ?? [])
    for (const p of o.properties ?? []) if (p.id === 'thresholds') addSteps(p.value as Steps);
  // Stat panels say 0 = DOWN with a value mapping: that marks 0 as plainly as a line would.
  const mappings = (panel.fieldConfig?.defaults as { mappings?: { type?: string; options?: Record<string, unknown> }[] } | undefined)
    ?.mappings;
  for (const m of mappings ?? [])
    if (m.type === 'value')
      for (const key of Object.keys(m.options ?? {})) if (key.trim() !== '' && Number.isFinite(Number(key))) values.add(Number(key));
  return values;
}

export type AlertRule = { alert?: string; expr: string; annotations?: Record<string, string> };

/**
 * The panels an alert is tied to: the `?viewPanel=N` of its `dashboard` annotation, or, without one,
 * every panel of that dashboard that reads a series the alert reads (the SLO dashboard is linked by `var-slo`).
 */
export function tiedPanels(
  rule: AlertRule,
  dashboards: ReadonlyMap<string, Dashboard>,
): { uid: string; panels: ThresholdPanel[] } | undefined {
  const link = rule.annotations?.dashboard;
  if (!link) return undefined;
  const url = new URL(link);
  const uid = url.pathname.split('/')[2] ?? '';
  const dashboard = dashboards.get(uid);
  const panels = (dashboard?.panels ?? []) as ThresholdPanel[];
  const viewPanel = url.searchParams.get('viewPanel');
  if (viewPanel) return { uid, panels: panels.filter((p) => p.id === Number(viewPanel)) };
  const reads = new Set(series(rule.expr));
  return {
    uid,
    panels: panels.filter((p) => (p.targets ?? []).some((t) => series(expandVariables(t.expr ?? '')).some((s) => reads.has(s)))),
  };
}

const series = (expr: string) => selectors(parsePromql(expr)).flatMap((s) => (s.metric ? [s.metric] : []));

/** One line per alert threshold that the alert's linked panel does not show. */
export function missingThresholds(rules: readonly AlertRule[], dashboards: ReadonlyMap<string, Dashboard>): string[] {
  const gaps: string[] = [];
  for (const rule of rules) {
    const tied = tiedPanels(rule, dashboards);
    if (!tied) continue;
    const thresholds = alertThresholds(rule.expr);
    if (thresholds.length === 0) continue;
    // A link without viewPanel ties the alert only to the panels that read its series.
    if (tied.panels.length === 0 && !new URL(rule.annotations!.dashboard!).searchParams.has('viewPanel')) continue;
    if (tied.panels.length === 0) {
      gaps.push(`${rule.alert}: links to ${rule.annotations?.dashboard}, but no panel of ${tied.uid} shows what it reads`);
      continue;
    }
    const shown = new Set(tied.panels.flatMap((p) => [...shownValues(p)]));
    for (const t of thresholds)
      if (!shown.has(t.value))
        gaps.push(
          `${rule.alert}: \`${t.op} ${t.value}\` is not a threshold of panel ${tied.panels.map((p) => `${p.id} "${p.title}"`).join(', ')} in ${tied.uid}`,
        );
  }
  return gaps;
}
