// promtool on the shipped alert rules: they load, and their unit tests (every alert at its boundary,
// healthy and idle) pass.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../observability/repo-root.ts';

const run = (args: string[], cwd = path.join(REPO_ROOT, 'alerts')) => {
  try {
    return { code: 0, out: execFileSync('promtool', args, { cwd, encoding: 'utf8', stdio: 'pipe' }) };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, out: e.stdout + e.stderr };
  }
};

describe('alert rules', () => {
  it.each([
    ['event-bus.rules.yml', 16],
    ['security.rules.yml', 5],
    ['meta.rules.yml', 6],
  ])('pass promtool check rules (%s)', (file, count) => {
    const result = run(['check', 'rules', file]);
    expect(result.out).toContain(`SUCCESS: ${count} rules found`);
    expect(result.code).toBe(0);
  });

  it.each(['event-bus.test.yml', 'migration.test.yml', 'security.test.yml', 'meta.test.yml'])(
    'pass their promtool unit tests (%s)',
    (file) => {
      const result = run(['test', 'rules', file]);
      expect(result.out).toContain('SUCCESS');
      expect(result.code).toBe(0);
    },
  );

  it.each([
    ['event-bus.rules.yml', 'event-bus.test.yml', 16],
    ['security.rules.yml', 'security.test.yml', 5],
  ])('test every alert of %s at its boundary, healthy, and with no traffic', (rulesFile, testFile, count) => {
    const rules = (
      parse(readFileSync(path.join(REPO_ROOT, 'alerts', rulesFile), 'utf8')) as { groups: { rules: { alert: string }[] }[] }
    ).groups.flatMap((g) => g.rules.map((r) => r.alert));
    const tests = (parse(readFileSync(path.join(REPO_ROOT, 'alerts', testFile), 'utf8')) as { tests: { name: string }[] }).tests.map(
      (t) => t.name,
    );
    expect(rules).toHaveLength(count);
    for (const alert of rules) {
      for (const kind of ['boundary', 'healthy', 'no traffic']) {
        expect(
          tests.some((t) => t.startsWith(`${alert} ${kind}`)),
          `${alert}: ${kind} test`,
        ).toBe(true);
      }
    }
  });

  it('the unit tests catch a changed threshold (they can fail)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rules-'));
    const rules = readFileSync(path.join(REPO_ROOT, 'alerts/event-bus.rules.yml'), 'utf8').replace(/^(\s+)for: 20s$/m, '$1for: 2m');
    expect(rules).not.toMatch(/^\s+for: 20s$/m);
    writeFileSync(path.join(dir, 'event-bus.rules.yml'), rules);
    copyFileSync(path.join(REPO_ROOT, 'alerts/event-bus.test.yml'), path.join(dir, 'event-bus.test.yml'));
    const result = run(['test', 'rules', 'event-bus.test.yml'], dir);
    expect(result.code).not.toBe(0);
    expect(result.out).toContain('WebhookGatewayDown');
  });
});
