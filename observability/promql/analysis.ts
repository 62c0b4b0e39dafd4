// Static analysis of PromQL with the Prometheus project's own Lezer grammar: parse errors, the
// metrics an expression reads, whether counters are only read through rate/irate/increase, and which
// labels survive to the result (so an alert annotation cannot reference a label that was summed away).
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';

export type LabelSet = { any: true } | { any: false; names: ReadonlySet<string> };

export const ANY_LABELS: LabelSet = { any: true };
export const labelSet = (names: Iterable<string>): LabelSet => ({ any: false, names: new Set(names) });

export type Selector = {
  metric: string | undefined;
  matchers: { label: string; op: string; value: string }[];
  /** The range function that reads this selector (rate, increase, …), if any. */
  rangeFunction: string | undefined;
  text: string;
};

export type Parsed = { expr: string; root: SyntaxNode; errors: string[] };

/** Functions whose result has no labels at all. */
const LABELLESS_FUNCTIONS = new Set([
  'time',
  'vector',
  'scalar',
  'pi',
  'minute',
  'hour',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'days_in_month',
  'month',
  'year',
]);
/** The only functions a counter may be read through: they handle resets and turn totals into rates. */
export const COUNTER_SAFE_FUNCTIONS = new Set(['rate', 'irate', 'increase']);

export function parsePromql(expr: string): Parsed {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`syntax error at offset ${node.from}: "${expr.slice(Math.max(0, node.from - 10), node.to + 10)}"`);
    },
  });
  return { expr, root: tree.topNode, errors };
}

const text = (p: Parsed, node: SyntaxNode) => p.expr.slice(node.from, node.to);
const unquote = (s: string) => s.replace(/^["'`]|["'`]$/g, '');

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
}

function selectorOf(p: Parsed, node: SyntaxNode): Omit<Selector, 'rangeFunction'> {
  const name = node.getChild('Identifier') ?? node.getChild('MetricName');
  const matchers: Selector['matchers'] = [];
  const list = node.getChild('LabelMatchers');
  for (const m of list ? children(list) : []) {
    if (m.name !== 'UnquotedLabelMatcher' && m.name !== 'QuotedLabelMatcher') continue;
    const label = m.getChild('LabelName') ?? m.getChild('QuotedLabelName');
    const op = m.getChild('MatchOp');
    const value = m.getChild('StringLiteral');
    if (label && op && value) matchers.push({ label: unquote(text(p, label)), op: text(p, op), value: unquote(text(p, value)) });
  }
  const metric = name ? text(p, name) : matchers.find((m) => m.label === '__name__' && m.op === '=')?.value;
  return { metric, matchers, text: text(p, node) };
}

function functionName(p: Parsed, call: SyntaxNode): string {
  const id = call.getChild('FunctionIdentifier');
  return id ? text(p, id) : '';
}

/** Every vector selector, with the range function (if any) that directly consumes it. */
export function selectors(p: Parsed): Selector[] {
  const found: Selector[] = [];
  const walk = (node: SyntaxNode) => {
    if (node.name === 'VectorSelector') {
      found.push({ ...selectorOf(p, node), rangeFunction: consumingRangeFunction(p, node) });
      return;
    }
    for (const c of children(node)) walk(c);
  };
  walk(p.root);
  return found;
}

/** rate(x[5m]) and rate(x[5m] offset 1h) are read by rate; x > 0 and delta(x[5m]) are not. */
function consumingRangeFunction(p: Parsed, selector: SyntaxNode): string | undefined {
  let node: SyntaxNode | null = selector.parent;
  if (node?.name !== 'MatrixSelector') return undefined;
  node = node.parent;
  while (node && (node.name === 'OffsetExpr' || node.name === 'ParenExpr' || node.name === 'StepInvariantExpr')) node = node.parent;
  if (node?.name !== 'FunctionCallBody') return undefined;
  const call = node.parent;
  return call?.name === 'FunctionCall' ? functionName(p, call) : undefined;
}

function union(a: LabelSet, b: LabelSet): LabelSet {
  if (a.any || b.any) return ANY_LABELS;
  return labelSet([...a.names, ...b.names]);
}

function minus(a: LabelSet, names: Iterable<string>): LabelSet {
  if (a.any) return ANY_LABELS;
  const out = new Set(a.names);
  for (const n of names) out.delete(n);
  return labelSet(out);
}

function groupingLabels(p: Parsed, node: SyntaxNode | null): string[] {
  const grouping = node?.getChild('GroupingLabels');
  return grouping
    ? children(grouping)
        .filter((c) => c.name === 'LabelName' || c.name === 'QuotedLabelName')
        .map((c) => unquote(text(p, c)))
    : [];
}

/** The expression children of a node (skipping keywords, modifiers and literals' punctuation). */
function exprChildren(node: SyntaxNode): SyntaxNode[] {
  const skip = new Set([
    'AggregateOp',
    'AggregateModifier',
    'FunctionIdentifier',
    'MatchingModifierClause',
    'BoolModifier',
    'FillModifier',
    'Offset',
    'OffsetDurationExpr',
    'DurationExpr',
    'At',
    'AtModifierPreprocessors',
  ]);
  return children(node).filter(
    (c) => !skip.has(c.name) && !/^(Add|Sub|Mul|Div|Mod|Pow|Eql|Neq|Gtr|Lss|Gte|Lte|And|Or|Unless|Atan2|TrimUpper|TrimLower)$/.test(c.name),
  );
}

function isScalar(node: SyntaxNode, p: Parsed): boolean {
  if (node.name === 'NumberDurationLiteral' || node.name === 'StringLiteral') return true;
  if (node.name === 'ParenExpr' || node.name === 'UnaryExpr') return exprChildren(node).every((c) => isScalar(c, p));
  if (node.name === 'FunctionCall') return ['time', 'scalar', 'pi'].includes(functionName(p, node));
  if (node.name === 'BinaryExpr') return exprChildren(node).every((c) => isScalar(c, p));
  return false;
}

/**
 * The labels an expression's result can carry. `labelsOf(metric)` gives a metric's labels
 * (including job and instance); unknown metrics give ANY_LABELS, which makes every check pass.
 */
export function outputLabels(p: Parsed, labelsOf: (metric: string) => LabelSet): LabelSet {
  const visit = (node: SyntaxNode): LabelSet => {
    switch (node.name) {
      case 'PromQL':
      case 'ParenExpr':
      case 'UnaryExpr':
      case 'OffsetExpr':
      case 'StepInvariantExpr':
      case 'AnchoredExpr':
      case 'SmoothedExpr':
      case 'SubqueryExpr':
      case 'MatrixSelector':
      case 'FunctionCallBody': {
        const inner = exprChildren(node).filter((c) => !isScalar(c, p));
        const target = inner.at(-1) ?? exprChildren(node)[0];
        return target ? visit(target) : labelSet([]);
      }
      case 'NumberDurationLiteral':
      case 'StringLiteral':
        return labelSet([]);
      case 'VectorSelector': {
        const sel = selectorOf(p, node);
        const base = sel.metric ? labelsOf(sel.metric) : ANY_LABELS;
        return union(
          base,
          labelSet(
            sel.matchers.filter((m) => m.label !== '__name__' && (m.op === '=' || m.op === '=~') && m.value !== '').map((m) => m.label),
          ),
        );
      }
      case 'FunctionCall': {
        const fn = functionName(p, node);
        const body = node.getChild('FunctionCallBody');
        const args = body ? exprChildren(body) : [];
        if (LABELLESS_FUNCTIONS.has(fn)) return labelSet([]);
        if (fn === 'absent' || fn === 'absent_over_time') {
          const sel = args[0] ? selectors({ ...p, root: args[0] })[0] : undefined;
          return labelSet(sel?.matchers.filter((m) => m.op === '=' && m.label !== '__name__').map((m) => m.label) ?? []);
        }
        if (fn === 'label_replace' || fn === 'label_join') {
          const dst = args[1] ? unquote(text(p, args[1])) : undefined;
          return union(visit(args[0]!), labelSet(dst ? [dst] : []));
        }
        const vectorArg = args.find((a) => !isScalar(a, p));
        const result = vectorArg ? visit(vectorArg) : labelSet([]);
        return fn === 'histogram_quantile' ? minus(result, ['le']) : result;
      }
      case 'AggregateExpr': {
        const op = text(p, node.getChild('AggregateOp')!);
        const modifier = node.getChild('AggregateModifier');
        const body = node.getChild('FunctionCallBody');
        const args = body ? exprChildren(body) : [];
        const inner = args.at(-1) ? visit(args.at(-1)!) : labelSet([]);
        if (['topk', 'bottomk', 'limitk', 'limit_ratio'].includes(op)) return inner;
        const extra = op === 'count_values' && args[0] ? [unquote(text(p, args[0]))] : [];
        if (!modifier) return labelSet(extra);
        const names = groupingLabels(p, modifier);
        if (modifier.getChild('Without')) return union(minus(inner, names), labelSet(extra));
        return labelSet([...names, ...extra]);
      }
      case 'BinaryExpr': {
        const [lhs, rhs] = exprChildren(node);
        if (!lhs || !rhs) return ANY_LABELS;
        const l = visit(lhs);
        const r = visit(rhs);
        if (isScalar(lhs, p)) return r;
        if (isScalar(rhs, p)) return l;
        if (node.getChild('Or')) return union(l, r);
        if (node.getChild('And') || node.getChild('Unless')) return l;
        const matching = node.getChild('MatchingModifierClause');
        if (!matching) return l;
        const on = matching.getChild('On');
        const groupLeft = matching.getChild('GroupLeft');
        const groupRight = matching.getChild('GroupRight');
        const names = groupingLabels(p, matching);
        // group_left(extra) / group_right(extra): the "many" side keeps its labels, plus extra from the other.
        const grouped = children(matching)
          .filter((c) => c.name === 'GroupingLabels')
          .slice(1)
          .flatMap((g) => children(g).map((c) => unquote(text(p, c))));
        if (groupLeft) return union(l, labelSet(grouped));
        if (groupRight) return union(r, labelSet(grouped));
        return on ? labelSet(names) : minus(l, names);
      }
      default:
        return ANY_LABELS;
    }
  };
  return visit(p.root);
}
