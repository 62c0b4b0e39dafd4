// PromQL inside Markdown: each ```promql block of the guides and runbooks is a query someone pastes
// into Prometheus during an incident, so it must parse and read only series that exist, and read
// counters the way the rule linter demands.
import { COUNTER_SAFE_FUNCTIONS, parsePromql, selectors } from './analysis.ts';

export type PromqlBlock = { line: number; expr: string };

/** Every ```promql fenced block (also indented ones, inside list items), with its 1-based line. */
export function promqlBlocks(markdown: string): PromqlBlock[] {
  const blocks: PromqlBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i]!.match(/^(\s*)```promql\s*$/);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^\s*```\s*$/.test(l));
    if (end < 0) throw new Error(`line ${i + 1}: a promql block is never closed`);
    blocks.push({ line: i + 1, expr: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

export type KnownSeries = { series: ReadonlySet<string>; counters: ReadonlySet<string> };

export function promqlIssues(expr: string, known: KnownSeries): string[] {
  if (!expr.trim()) return ['empty query'];
  const parsed = parsePromql(expr);
  if (parsed.errors.length) return parsed.errors.map((e) => `does not parse: ${e}`);
  return selectors(parsed).flatMap((s) => {
    if (!s.metric) return [`selector ${s.text} has no metric name`];
    if (!known.series.has(s.metric)) return [`${s.metric} is neither exported by a service nor recorded by a rule`];
    if (known.counters.has(s.metric) && !COUNTER_SAFE_FUNCTIONS.has(s.rangeFunction ?? ''))
      return [`counter ${s.metric} must be read through rate(), irate() or increase()`];
    return [];
  });
}
