// The k6 versions of the load scenarios (harness/k6) are type-checked against @types/k6; they run
// only where a k6 binary exists (compose runs them in the grafana/k6 image).
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { tempDir } from '../integration/support.ts';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../stack/service.ts';

describe('k6 scripts', () => {
  it('cover the sustained, burst and ramp scenarios', () => {
    expect(
      readdirSync(path.join(REPO_ROOT, 'harness/k6'))
        .filter((f) => f.endsWith('.ts'))
        .sort(),
    ).toEqual(['burst.ts', 'ramp.ts', 'sustained.ts']);
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
