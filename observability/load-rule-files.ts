// Reads Prometheus rule files (YAML) from the repository.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './repo-root.ts';

export type Rule = {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
};
export type RuleFile = { path: string; groups: { name: string; interval?: string; rules: Rule[] }[] };

/** Every rule file Prometheus loads: the hand-written alerts and the generated SLO rules. */
export const RULE_FILE_GLOBS = [
  { dir: 'alerts', suffix: '.rules.yml' },
  { dir: 'slo', suffix: '.rules.yml' },
];

export function ruleFilePaths(root = REPO_ROOT): string[] {
  return RULE_FILE_GLOBS.flatMap(({ dir, suffix }) => {
    const full = path.join(root, dir);
    if (!existsSync(full)) return [];
    return readdirSync(full)
      .filter((f) => f.endsWith(suffix))
      .sort()
      .map((f) => path.join(dir, f));
  });
}

export function loadRuleFile(relativePath: string, root = REPO_ROOT): RuleFile {
  const doc = parse(readFileSync(path.join(root, relativePath), 'utf8')) as { groups?: RuleFile['groups'] } | null;
  return { path: relativePath, groups: doc?.groups ?? [] };
}
