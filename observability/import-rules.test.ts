import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMPORT_RULES, importSpecifiers, importViolations, resolveImport } from './import-rules.ts';
import { REPO_ROOT } from './repo-root.ts';

describe('importSpecifiers', () => {
  it.each([
    ["import { a } from './a.ts';", ['./a.ts']],
    ['import type { A } from "../b.ts";', ['../b.ts']],
    ["import {\n  a,\n  b,\n} from '../../c.ts';", ['../../c.ts']],
    ["import './side-effect.ts';", ['./side-effect.ts']],
    ["export { a } from './a.ts';\nexport * from './b.ts';", ['./a.ts', './b.ts']],
    ["const m = await import('./lazy.ts');\nconst n = await import ( './spaced.ts' );", ['./lazy.ts', './spaced.ts']],
    ["const r = require('./old.cjs');", ['./old.cjs']],
    ["import path from 'node:path';\nimport { z } from 'zod';", ['node:path', 'zod']],
    ["// import x from '../harness/a.ts';\n/* import y from '../harness/b.ts'; */", []],
    [`const text = "import x from '../harness/a.ts'";\nconst from = 'not-a-specifier';`, []],
    ["const t = `import x from '../harness/a.ts'`;", []],
    ["const t = `${(await import('./in-template.ts')).name} from '../harness/a.ts'`;", ['./in-template.ts']],
    ["const t = `a${`b${'c'}`}d`;\nimport { e } from './after-nested.ts';", ['./after-nested.ts']],
    ["const re = /from '([^'.][^']*)'/g;\nimport { a } from './after-regex.ts';", ['./after-regex.ts']],
    ["const half = total / 2; const q = `'`;\nimport { a } from './after-division.ts';", ['./after-division.ts']],
    ["const o = { from: '../harness/a.ts' };\nx.from('../harness/b.ts');", []],
  ])('%j', (source, expected) => {
    expect(importSpecifiers(source)).toEqual(expected);
  });
});

describe('resolveImport', () => {
  it.each([
    ['alerts/lint/rule-linter.ts', '../../harness/stack/service.ts', 'harness/stack/service.ts'],
    ['alerts/lint/rule-linter.ts', '../harness/stack/service.ts', 'alerts/harness/stack/service.ts'],
    ['slo/spec.ts', './generate-rules.ts', 'slo/generate-rules.ts'],
    ['slo/spec.ts', 'yaml', null],
    ['slo/spec.ts', 'node:fs', null],
  ])('%s imports %s: %s', (from, specifier, expected) => {
    expect(resolveImport(from, specifier)).toBe(expected);
  });
});

describe('importViolations', () => {
  it.each([
    ['monitoring code -> harness', 'alerts/lint/lint-rules.ts', '../../harness/stack/service.ts', ['harness/stack/service.ts']],
    ['observability -> harness', 'observability/x.ts', '../harness/promql/analysis.ts', ['harness/promql/analysis.ts']],
    ['service code -> harness', 'app/gateway/app.ts', '../../harness/stack/wait.ts', ['harness/stack/wait.ts']],
    ['a test -> the stack it runs on', 'slo/report/report.test.ts', '../../harness/stack/prometheus.ts', []],
    ['a test -> a harness tool', 'dashboards/x.test.ts', '../harness/drill/drills.ts', ['harness/drill/drills.ts']],
    ['a helper named like a test', 'alerts/lint/tests.ts', '../../harness/integration/support.ts', ['harness/integration/support.ts']],
    ['service -> alerts', 'app/bus/x.ts', '../../alerts/jobs.ts', ['alerts/jobs.ts']],
    ['service test -> slo', 'app/bus/x.test.ts', '../../slo/spec.ts', ['slo/spec.ts']],
    ['service -> observability', 'app/x.ts', '../observability/repo-root.ts', ['observability/repo-root.ts']],
    ['harness -> anything', 'harness/stack/prometheus-config.ts', '../../observability/conventions.ts', []],
    ['monitoring -> app', 'alerts/lint/rule-linter.ts', '../../app/telemetry/metric-catalog.ts', []],
    ['a folder whose name starts like a forbidden one', 'app/x.ts', '../alertsmith/a.ts', []],
  ])('%s (%s imports %s)', (_name, file, specifier, expected) => {
    const source = `import { a } from '${specifier}';`;
    expect(importViolations([{ path: file, source }], IMPORT_RULES).map((v) => v.target)).toEqual(expected);
  });
});

describe('the repository', () => {
  const FOLDERS = ['alerts', 'slo', 'dashboards', 'alertmanager', 'observability', 'app'];
  const files = FOLDERS.flatMap((folder) =>
    (readdirSync(path.join(REPO_ROOT, folder), { recursive: true }) as string[])
      .filter((f) => /\.(ts|mts|js|mjs)$/.test(f))
      .map((f) => {
        const relative = path.posix.join(folder, f.split(path.sep).join('/'));
        return { path: relative, source: readFileSync(path.join(REPO_ROOT, relative), 'utf8') };
      }),
  );

  it('reads the folders it guards', () => {
    for (const folder of FOLDERS)
      expect(
        files.some((f) => f.path.startsWith(`${folder}/`)),
        folder,
      ).toBe(true);
    expect(files.some((f) => f.path === 'alerts/lint/rule-linter.ts')).toBe(true);
  });

  it('follows the import rules: monitoring code and services never import harness/, services never import monitoring code', () => {
    const messages = importViolations(files).map((v) => `${v.file} imports ${v.specifier} (${v.target}): ${v.reason}`);
    expect(messages).toEqual([]);
  });
});
