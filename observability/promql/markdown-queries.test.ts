import { describe, expect, it } from 'vitest';
import { promqlBlocks, promqlIssues } from './markdown-queries.ts';

const known = {
  series: new Set(['up', 'requests_total', 'queue_depth', 'job:requests:rate5m']),
  counters: new Set(['requests_total']),
};

describe('promqlBlocks', () => {
  it.each([
    ['one block', 'text\n```promql\nup == 0\n```\n', [{ line: 2, expr: 'up == 0' }]],
    [
      'an indented block in a list item',
      '1. Look:\n\n   ```promql\n   max(queue_depth)\n   ```\n',
      [{ line: 3, expr: '   max(queue_depth)' }],
    ],
    ['a multi-line query', '```promql\nsum(up)\n  /\ncount(up)\n```', [{ line: 1, expr: 'sum(up)\n  /\ncount(up)' }]],
    ['other languages are skipped', '```sh\ncurl x\n```\n```\nup\n```\n', []],
    [
      'two blocks',
      '```promql\nup\n```\n\n```promql\nqueue_depth\n```',
      [
        { line: 1, expr: 'up' },
        { line: 5, expr: 'queue_depth' },
      ],
    ],
  ])('%s', (_name, markdown, blocks) => {
    expect(promqlBlocks(markdown)).toEqual(blocks);
  });

  it('refuses a block that is never closed', () => {
    expect(() => promqlBlocks('```promql\nup\n')).toThrow(/line 1: a promql block is never closed/);
  });
});

describe('promqlIssues', () => {
  it.each([
    ['a gauge', 'max(queue_depth) > 10', []],
    ['a counter through rate()', 'sum(rate(requests_total[5m]))', []],
    ['a recording rule', 'job:requests:rate5m > 1', []],
    ['a syntax error', 'sum(rate(requests_total[5m])', ['does not parse']],
    ['an unknown metric', 'max(queue_length)', ['queue_length is neither exported by a service nor recorded by a rule']],
    ['a counter read directly', 'sum(requests_total)', ['counter requests_total must be read through rate(), irate() or increase()']],
    ['a selector without a metric name', '{job="x"}', ['selector {job="x"} has no metric name']],
    ['an empty block', '  \n', ['empty query']],
  ])('%s', (_name, expr, expected) => {
    const issues = promqlIssues(expr, known);
    expect(issues).toHaveLength(expected.length);
    for (const [i, text] of expected.entries()) expect(issues[i]).toContain(text);
  });
});
