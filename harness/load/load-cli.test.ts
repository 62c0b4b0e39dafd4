// `npm run load` end to end: the burst preset against a private stack.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../integration/support.ts';
import { REPO_ROOT } from '../stack/service.ts';
import type { LoadSummary } from './presets.ts';

describe('npm run load', () => {
  it('runs the burst preset (200 extra events in 10 s over 50/s) with nothing dropped and nothing lost', async () => {
    const out = tempDir('load');
    await promisify(execFile)(
      process.execPath,
      [path.join(REPO_ROOT, 'harness/load/cli.ts'), '--preset', 'burst', '--start-stack', '--out', out],
      { cwd: REPO_ROOT, timeout: 120_000 },
    );
    const { summary } = JSON.parse(readFileSync(path.join(out, 'load.json'), 'utf8')) as { summary: LoadSummary };
    // 2 s lead-in at 50/s, then 230 in the spike's first second and 470 over its other nine.
    expect(summary).toMatchObject({ scheduled: 800, completed: 800, dropped: 0, errorsByKind: {} });
    expect(summary.stages.map((s) => s.dropped)).toEqual([0, 0, 0]);
    expect(Object.keys(summary.lostByConsumer ?? {}).length).toBeGreaterThanOrEqual(3);
    expect(Object.values(summary.lostByConsumer ?? {}).every((n) => n === 0)).toBe(true);
    expect(summary.latencyMs.p99).toBeGreaterThan(0);
    expect(readFileSync(path.join(out, 'load.md'), 'utf8')).toContain('p99');
    expect(readFileSync(path.join(out, 'load-latency.svg'), 'utf8')).toContain('<svg');
  }, 150_000);

  it('says what to do when no publisher answers', async () => {
    const result = await promisify(execFile)(
      process.execPath,
      [path.join(REPO_ROOT, 'harness/load/cli.ts'), '--publisher-url', 'http://127.0.0.1:9', '--out', tempDir('load-none')],
      { cwd: REPO_ROOT },
    ).catch((e: { code: number; stderr: string }) => e);
    expect(result).toMatchObject({ code: 1 });
    expect((result as { stderr: string }).stderr).toContain('npm run demo');
  });
});
