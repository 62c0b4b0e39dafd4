// The stream name and the webhook endpoint are written once in code (EVENT_BUS_LAYOUT.stream,
// DEFAULT_WEBHOOK_ENDPOINT) and imported everywhere else. Files that cannot import (YAML, Markdown,
// compose, the k6 scripts with their own tsconfig) repeat them: each such mention must be the same.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EVENT_BUS_LAYOUT } from '../bus/layout.ts';
import { DEFAULT_WEBHOOK_ENDPOINT } from '../gateway/config.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Installed, generated at run time or git-ignored: not ours to keep in step.
const SKIPPED = new Set([
  'node_modules',
  'data',
  'test-results',
  'secrets',
  'bench-results',
  'chaos-results',
  'load-results',
  'drill-results',
  'slo-report',
]);
const DEFINED_IN = ['app/bus/layout.ts', 'app/gateway/config.ts'];

type Name = { what: string; value: string /** How a mention looks in a file that cannot import. */; mention: RegExp };
const NAMES: Name[] = [
  { what: 'the stream name', value: EVENT_BUS_LAYOUT.stream, mention: /\b[A-Z][A-Z0-9]*_EVENTS\b/g },
  { what: 'the webhook endpoint', value: DEFAULT_WEBHOOK_ENDPOINT, mention: /\/webhooks\/[A-Za-z0-9_.-]+/g },
];

function repositoryFiles(dir = ''): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.posix.join(dir, entry.name);
    if (entry.name.startsWith('.') || SKIPPED.has(entry.name)) return [];
    if (entry.isDirectory()) return repositoryFiles(relative);
    return /\.(sqlite|png|pem|key)$/.test(entry.name) ? [] : [relative];
  });
}

const files = repositoryFiles().map((file) => ({ file, text: readFileSync(path.join(ROOT, file), 'utf8') }));
const canImport = (file: string) => file.endsWith('.ts') && !file.startsWith('harness/k6/');
// Comments may show a command line with the literal; code must import it.
const codeLines = (text: string) => text.split('\n').filter((line) => !/^\s*(\/\/|\/\*|\*)/.test(line));

describe.each(NAMES)('$what', ({ value, mention }) => {
  it('is written in no TypeScript that can import it', () => {
    const offenders = files
      .filter(({ file }) => canImport(file) && !DEFINED_IN.includes(file))
      .filter(({ text }) => codeLines(text).some((line) => line.includes(value)))
      .map(({ file }) => file);
    expect(offenders).toEqual([]);
  });

  it('is written the same in every file that cannot import it', () => {
    const mentions = files
      .filter(({ file }) => !canImport(file))
      .flatMap(({ file, text }) => [...text.matchAll(mention)].map((m) => ({ file, text: m[0] })));
    // The docs and compose do name it: a pattern that matched nothing would check nothing.
    expect(mentions.length).toBeGreaterThan(3);
    expect(mentions.filter((m) => m.text !== value)).toEqual([]);
  });
});
