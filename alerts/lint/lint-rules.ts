// `npm run lint:rules [files…]`: lints every rule file Prometheus loads (alerts/, slo/).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../observability/repo-root.ts';
import { RUNBOOK_BASE_URL } from '../../observability/conventions.ts';
import { loadRuleFile, ruleFilePaths } from '../../observability/load-rule-files.ts';
import { lintRuleFiles } from './rule-linter.ts';

const paths = process.argv.length > 2 ? process.argv.slice(2) : ruleFilePaths();
const issues = lintRuleFiles(
  paths.map((p) => loadRuleFile(p)),
  {
    runbookBaseUrl: RUNBOOK_BASE_URL,
    fileExists: (relative) => existsSync(path.join(REPO_ROOT, relative)),
  },
);
for (const issue of issues) console.log(`${issue.file}: ${issue.rule}: ${issue.message}`);
console.log(
  issues.length ? `${issues.length} problem(s) in ${paths.length} file(s)` : `${paths.length} rule file(s) clean: ${paths.join(', ')}`,
);
process.exitCode = issues.length ? 1 : 0;
