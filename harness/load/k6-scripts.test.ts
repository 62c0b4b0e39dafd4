// The k6 versions of the load scenarios (harness/k6) are type-checked against @types/k6; they run
// only where a k6 binary exists (compose runs them in the grafana/k6 image).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tempDir } from '../integration/support.ts';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../stack/service.ts';
import { RAMP_PLAN, rampOptions, stageName } from '../k6/lib/ramp-stages.ts';

describe('k6 scripts', () => {
  it('cover the sustained, burst and ramp scenarios', () => {
    expect(
      readdirSync(path.join(REPO_ROOT, 'harness/k6'))
        .filter((f) => f.endsWith('.ts'))
        .sort(),
    ).toEqual(['burst.ts', 'ramp.ts', 'sustained.ts']);
  });

  it('the ramp judges each stage on its own p99, failures and dropped iterations, and stops at the first that breaks', () => {
    const { scenarios, thresholds } = rampOptions(RAMP_PLAN);
    const stages = RAMP_PLAN.rates.map(stageName);
    expect(Object.keys(scenarios)).toEqual(stages);
    // Back to back, each at its own constant rate: a sample belongs to exactly one stage.
    for (const [i, rate] of RAMP_PLAN.rates.entries())
      expect(scenarios[stageName(rate)]).toMatchObject({
        executor: 'constant-arrival-rate',
        rate,
        startTime: `${i * RAMP_PLAN.stageSeconds}s`,
        duration: `${RAMP_PLAN.stageSeconds}s`,
      });
    expect(Object.keys(thresholds).sort()).toEqual(
      stages
        .flatMap((s) => [`dropped_iterations{scenario:${s}}`, `http_req_duration{scenario:${s}}`, `http_req_failed{scenario:${s}}`])
        .sort(),
    );
    for (const s of stages) {
      expect(thresholds[`http_req_duration{scenario:${s}}`]).toEqual([
        expect.objectContaining({ threshold: 'p(99)<250', abortOnFail: true }),
      ]);
      expect(thresholds[`http_req_failed{scenario:${s}}`]).toEqual([
        expect.objectContaining({ threshold: 'rate<0.001', abortOnFail: true }),
      ]);
      expect(thresholds[`dropped_iterations{scenario:${s}}`]).toEqual([
        expect.objectContaining({ threshold: 'count==0', abortOnFail: true }),
      ]);
    }
    // No threshold over the whole run: it would average a slow stage away.
    expect(Object.keys(thresholds).filter((k) => !k.includes('{scenario:'))).toEqual([]);
    expect(rampOptions({ ...RAMP_PLAN, p99TargetMs: 400 }).thresholds['http_req_duration{scenario:rate_50}']![0]).toMatchObject({
      threshold: 'p(99)<400',
    });
    expect(readFileSync(path.join(REPO_ROOT, 'harness/k6/ramp.ts'), 'utf8')).toMatch(/rampOptions\(plan\)/);
  });

  it('type-check against @types/k6', () => {
    const tsc = path.join(REPO_ROOT, 'node_modules/.bin/tsc');
    expect(() => execFileSync(tsc, ['-p', 'harness/k6/tsconfig.json'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: 'pipe' })).not.toThrow();
  });

  it('the type check can fail', () => {
    const dir = tempDir('k6-typecheck');
    writeFileSync(path.join(dir, 'bad.ts'), 'import http from "k6/http";\nhttp.post(42);\n');
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: path.join(REPO_ROOT, 'harness/k6/tsconfig.json'),
        compilerOptions: { typeRoots: [path.join(REPO_ROOT, 'node_modules/@types')] },
        include: ['bad.ts'],
      }),
    );
    let output = '';
    try {
      execFileSync(path.join(REPO_ROOT, 'node_modules/.bin/tsc'), ['-p', path.join(dir, 'tsconfig.json')], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (err) {
      output = (err as { stdout: string }).stdout;
    }
    expect(output).toMatch(/bad\.ts.*error TS2345/);
  });
});
