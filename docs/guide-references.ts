// What a guide names has to exist: the repository paths in its code spans and relative links, and
// the tests it cites by file and name. docs/configuration.md and the ADRs are held to this.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../observability/repo-root.ts';

export function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

const REPO_PATH = /^(app|harness|alerts|alertmanager|slo|dashboards|observability|compose|deploy|runbooks|docs|examples)\/[\w./-]*$/;

/** The repository paths a Markdown file (`file`, relative to the root) names in code spans and relative links. */
export function namedPaths(markdown: string, file: string): string[] {
  // Fenced blocks first: their ``` would pair up with the inline backticks around them.
  const spans = codeSpans(markdown.replace(/^[ \t]*```[\s\S]*?^[ \t]*```/gm, '')).filter((s) => REPO_PATH.test(s));
  const from = path.dirname(path.join(REPO_ROOT, file));
  const links = [...markdown.matchAll(/\]\((?!https?:|#)([^)#\s]+)/g)].map((m) => path.relative(REPO_ROOT, path.resolve(from, m[1]!)));
  return [...spans, ...links];
}

/** Made at run time and never committed (compose/secrets/, .demo/): named, but absent from a clone. */
function gitIgnored(file: string): boolean {
  return spawnSync('git', ['check-ignore', '--quiet', '--no-index', file], { cwd: REPO_ROOT }).status === 0;
}

export const missingPaths = (paths: readonly string[]) => paths.filter((p) => !existsSync(path.join(REPO_ROOT, p)) && !gitIgnored(p));

export type CitedTest = { file: string; name: string };

/** Each `x.test.ts` followed by one or more "test name" (joined by "and"); a name may wrap across lines. */
export function citedTests(markdown: string): CitedTest[] {
  return [...markdown.matchAll(/`([\w./-]+\.test\.ts)`((?:\s*(?:and\s+)?"[^"]+")+)/g)].flatMap((m) =>
    [...m[2]!.matchAll(/"([^"]+)"/g)].map((q) => ({ file: m[1]!, name: q[1]!.replace(/\s+/g, ' ') })),
  );
}

/** The cited tests whose file is gone or no longer holds a test of that name. */
export const absentTests = (cited: readonly CitedTest[]) =>
  cited.filter(
    ({ file, name }) => !existsSync(path.join(REPO_ROOT, file)) || !readFileSync(path.join(REPO_ROOT, file), 'utf8').includes(name),
  );
