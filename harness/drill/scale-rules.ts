// A test-only rule set, generated from the real one: every `for:`, range window and group interval
// divided by a factor, thresholds untouched. Drills use it to prove in minutes what takes an hour.
import type { SyntaxNode } from '@lezer/common';
import type { RuleFile } from '../../observability/load-rule-files.ts';
import { parsePromql } from '../../observability/promql/analysis.ts';

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };

export function durationSeconds(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== text) throw new Error(`not a Prometheus duration: ${text}`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNITS[unit!]!, 0);
}

/** At least a second: Prometheus will not take less, and a zero `for:` would change the rule's meaning. */
export function scaleDuration(text: string, factor: number): string {
  return `${Math.max(1, Math.round(durationSeconds(text) / factor))}s`;
}

export function scaleExpression(expr: string, factor: number): string {
  const parsed = parsePromql(expr);
  if (parsed.errors.length) throw new Error(`cannot scale an expression that does not parse: ${expr}`);
  const ranges: SyntaxNode[] = [];
  const walk = (node: SyntaxNode) => {
    if (node.name === 'DurationExpr' && (node.parent?.name === 'MatrixSelector' || node.parent?.name === 'SubqueryExpr')) ranges.push(node);
    for (let c = node.firstChild; c; c = c.nextSibling) walk(c);
  };
  walk(parsed.root);
  let out = expr;
  for (const node of ranges.sort((a, b) => b.from - a.from))
    out = out.slice(0, node.from) + scaleDuration(expr.slice(node.from, node.to), factor) + out.slice(node.to);
  return out;
}

export function scaleRuleFile(file: RuleFile, factor: number): RuleFile {
  return {
    path: file.path,
    groups: file.groups.map((group) => ({
      ...group,
      ...(group.interval ? { interval: scaleDuration(group.interval, factor) } : {}),
      rules: group.rules.map((rule) => ({
        ...rule,
        expr: scaleExpression(rule.expr, factor),
        ...(rule.for ? { for: scaleDuration(rule.for, factor) } : {}),
      })),
    })),
  };
}
