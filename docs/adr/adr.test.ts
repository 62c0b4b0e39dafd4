// The ADRs must not drift from the repository silently: every path and every test they cite exists,
// and every figure ADR-002 quotes from the committed benchmark (docs/bench/bench.json) is that figure.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../observability/repo-root.ts';
import { absentTests, citedTests, missingPaths, namedPaths } from '../guide-references.ts';

const read = (relative: string) => readFileSync(path.join(REPO_ROOT, relative), 'utf8');
const adrFiles = readdirSync(path.join(REPO_ROOT, 'docs/adr'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => `docs/adr/${f}`);

type Stage = { rate: number; sustained: boolean };
type Bench = {
  pipeline: { sqlite: { ceiling: number }; postgres: { ceiling: number; stages: Stage[] } };
  endToEnd: { rate: number; p50Ms: number; p95Ms: number; p99Ms: number }[];
  library: { publishPerSecond: number; oneTransactionEachPerSecond: number };
  ratios: { gatewayVsExpress: number };
  idleRssMb: Record<'gateway' | 'publisher' | 'consumer', number>;
  peakRssMb: Record<'gateway' | 'publisher' | 'consumer' | 'publisherPostgres', number>;
};

/** A figure the ADR states: the sentence that carries it, and where bench.json keeps each number it captures. */
type Figure = { what: string; pattern: RegExp; values: (b: Bench) => number[] };

// The design's sustained rate: the ADR states the ceilings as multiples of it.
const SUSTAINED_RATE = 50;

const latency = (b: Bench, rate: number) => {
  const run = b.endToEnd.find((r) => r.rate === rate);
  return run ? [run.p50Ms, run.p95Ms, run.p99Ms] : [Number.NaN];
};

const FIGURES: Figure[] = [
  {
    what: 'pipeline ceiling, SQLite and PostgreSQL outbox',
    pattern: /pipeline ceiling is ([\d,]+)\/s with the SQLite outbox and ([\d,]+)\/s with PostgreSQL, (\d+)× and (\d+)× the sustained rate/,
    values: (b) => {
      const ceilings = [b.pipeline.sqlite.ceiling, b.pipeline.postgres.ceiling];
      return [...ceilings, ...ceilings.map((c) => c / SUSTAINED_RATE)];
    },
  },
  {
    what: 'end-to-end latency at 50/s and 1,000/s',
    pattern: /at 50\/s p50 (\d+) \/ p95 (\d+) \/ p99 (\d+) ms; at 1,000\/s (\d+) \/ (\d+) \/ (\d+) ms/,
    values: (b) => [...latency(b, 50), ...latency(b, 1000)],
  },
  {
    what: 'durable publish() with group commit and with one transaction each',
    pattern: /([\d,]+) durable `publish\(\)` calls\/s with group commit, against ([\d,]+)\/s with one\s+transaction each/,
    values: (b) => [b.library.publishPerSecond, b.library.oneTransactionEachPerSecond],
  },
  {
    what: 'gateway throughput against a bare Express echo',
    pattern: /answers at ([\d.]+) of a bare Express echo/,
    values: (b) => [b.ratios.gatewayVsExpress],
  },
  {
    what: 'idle and peak RSS of gateway, publisher and consumer',
    pattern: /idle (\d+) \/ (\d+) \/ (\d+) MB and peak (\d+) \/ (\d+) \/ (\d+) MB \(gateway \/ publisher \/ consumer\)/,
    values: ({ idleRssMb: i, peakRssMb: p }) => [i.gateway, i.publisher, i.consumer, p.gateway, p.publisher, p.consumer],
  },
  {
    what: "the PostgreSQL publisher's peak, at the first stage it could not sustain",
    pattern: /Its peak was (\d+) MB at the ([\d,]+)\/s stage it could not sustain/,
    values: (b) => [b.peakRssMb.publisherPostgres, b.pipeline.postgres.stages.find((s) => !s.sustained)?.rate ?? Number.NaN],
  },
];

/** One line per figure the text no longer states, or states with numbers other than bench.json's. Pure. */
function figureMismatches(text: string, figures: readonly Figure[], bench: Bench): string[] {
  return figures.flatMap((f) => {
    const match = f.pattern.exec(text);
    if (!match) return [`${f.what}: not stated as ${f.pattern}`];
    const stated = match.slice(1).map((n) => Number(n.replace(/,/g, '')));
    const measured = f.values(bench);
    return stated.length === measured.length && stated.every((n, i) => n === measured[i])
      ? []
      : [`${f.what}: the ADR says ${stated.join(', ')}, bench.json ${measured.join(', ')}`];
  });
}

describe.each(adrFiles)('%s names only what exists', (file) => {
  const text = read(file);

  it('every repository path in a code span, and every relative link', () => {
    const named = namedPaths(text, file);
    expect(named.length).toBeGreaterThan(10);
    expect(missingPaths(named)).toEqual([]);
  });

  it('every test it cites, by file and name', () => {
    expect(absentTests(citedTests(text))).toEqual([]);
  });
});

describe('ADR-002 and the committed benchmark', () => {
  const adr = read('docs/adr/ADR-002-event-bus-selection.md');
  const bench = JSON.parse(read('docs/bench/bench.json')) as Bench;

  it('cites the tests that prove its gates and risks', () => {
    expect(citedTests(adr).length).toBeGreaterThanOrEqual(6);
  });

  it('gates step 1 on every SLO the rules record a budget for', () => {
    const budgets = read('slo/event-bus-slo.rules.yml').match(/record: slo:error_budget_remaining:ratio$/gm)?.length;
    expect(/count\(slo:error_budget_remaining:ratio > 0\) == (\d+)/.exec(adr)?.[1]).toBe(String(budgets));
  });

  it('states every figure it takes from bench.json as bench.json has it', () => {
    expect(figureMismatches(adr, FIGURES, bench)).toEqual([]);
  });
});

describe('the checks can fail', () => {
  const adr = read('docs/adr/ADR-002-event-bus-selection.md');
  const bench = JSON.parse(read('docs/bench/bench.json')) as Bench;

  it('notices a changed figure and a figure no longer stated', () => {
    const sqlite = bench.pipeline.sqlite.ceiling.toLocaleString('en-US');
    const changed = adr.replace(`${sqlite}/s with the SQLite outbox`, '1,234/s with the SQLite outbox');
    expect(figureMismatches(changed, FIGURES, bench)).toEqual([expect.stringMatching(/^pipeline ceiling.*says 1234, /)]);
    const gone = adr.replace(/idle \d+ \/ /, 'idle ');
    expect(figureMismatches(gone, FIGURES, bench)).toEqual([expect.stringMatching(/^idle and peak RSS.*not stated/)]);
  });

  it('notices a missing path, a broken link and a test that is not there', () => {
    const text = 'See `app/no-such-module.ts` and [the guide](../no-such-guide.md).\n\n`docs/monitoring.test.ts` "no test has this name"\n';
    expect(missingPaths(namedPaths(text, 'docs/adr/x.md'))).toEqual(['app/no-such-module.ts', 'docs/no-such-guide.md']);
    expect(absentTests(citedTests(text))).toEqual([{ file: 'docs/monitoring.test.ts', name: 'no test has this name' }]);
  });
});
