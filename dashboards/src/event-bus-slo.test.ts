// The SLO dashboard's burn-rate lines under promtool (the real PromQL engine): each starts when the
// burn alerts start to judge its window, not on the first minutes of a young stack (issue 15).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { tempDir } from '../../harness/integration/support.ts';
import { BURN_WINDOW_MIN_COVERAGE } from '../../slo/coverage.ts';
import { BURN_WINDOWS } from '../../slo/report/assess.ts';
import { durationSeconds } from '../../slo/spec.ts';
import { burnRateExpr } from './event-bus-slo.ts';

describe('SLO dashboard burn-rate lines', () => {
  it.each(BURN_WINDOWS)('draws the %s burn once the SLI was recorded nine tenths of the window ago', (window) => {
    // A stack that starts at 0 burning 20x: the line is missing one minute before the 90 % mark, there at it.
    const covered = (BURN_WINDOW_MIN_COVERAGE * durationSeconds(window)) / 60;
    const minutes = Math.round(covered) + 5;
    const expr = burnRateExpr(window).replaceAll('$slo', '.*');
    const metric = `slo:burn_rate:ratio_rate${window}`;
    const test = {
      rule_files: [],
      tests: [
        {
          interval: '1m',
          input_series: [
            { series: 'slo:sli_total:rate5m{slo="delivery-success"}', values: `5+0x${minutes}` },
            { series: `${metric}{slo="delivery-success"}`, values: `20+0x${minutes}` },
          ],
          promql_expr_test: [
            { expr, eval_time: `${Math.round(covered) - 1}m`, exp_samples: [] },
            { expr, eval_time: `${Math.round(covered)}m`, exp_samples: [{ labels: `${metric}{slo="delivery-success"}`, value: 20 }] },
          ],
        },
      ],
    };
    const dir = tempDir(`slo-dashboard-burn-${window}`);
    writeFileSync(path.join(dir, 'test.yml'), stringify(test));
    let output: string;
    try {
      output = execFileSync('promtool', ['test', 'rules', 'test.yml'], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      output = `${(err as { stdout: string }).stdout}${(err as { stderr: string }).stderr}`;
    }
    expect(output).toContain('SUCCESS');
  });
});
