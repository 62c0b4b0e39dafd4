// The runbook sections a drill prints: read from runbooks/<AlertName>.md, as the on-call would.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../stack/service.ts';

export function runbookSection(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) return '';
  const rest = markdown.slice(start + heading.length + 5);
  const end = rest.search(/\n## /);
  return (end < 0 ? rest : rest.slice(0, end)).trim();
}

export function runbookFor(alert: string): { diagnosis: string; mitigation: string } {
  const markdown = readFileSync(path.join(REPO_ROOT, 'runbooks', `${alert}.md`), 'utf8');
  return { diagnosis: runbookSection(markdown, 'Diagnosis'), mitigation: runbookSection(markdown, 'Mitigation') };
}
