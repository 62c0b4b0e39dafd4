import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODULE = path.join(REPO_ROOT, 'app/start/release-start-up-garbage.ts');

// A process that grows its young generation the way start-up does, then asks for the collection:
// prints the young generation's resident size (MB) before and after.
const script = `
import v8 from 'node:v8';
import { releaseStartUpGarbage } from ${JSON.stringify(MODULE)};
const young = () => v8.getHeapSpaceStatistics().filter((s) => s.space_name === 'new_space').reduce((n, s) => n + s.physical_space_size, 0) / 2 ** 20;
let keep = [];
for (let i = 0; i < 200_000; i++) { keep.push({ i, text: 'x'.repeat(64) }); if (keep.length > 20_000) keep = []; }
keep = [];
const before = young();
releaseStartUpGarbage(10);
setTimeout(() => console.log(JSON.stringify({ before, after: young() })), 200);
`;

function youngGeneration(flags: string[]): { before: number; after: number } {
  const out = execFileSync(process.execPath, [...flags, '--max-semi-space-size=16', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  return JSON.parse(out.trim()) as { before: number; after: number };
}

describe('releasing start-up garbage', () => {
  it('gives the grown young generation back when gc is exposed', () => {
    const { before, after } = youngGeneration(['--expose-gc']);
    expect(before).toBeGreaterThan(8);
    expect(after).toBeLessThan(before / 4);
  });

  it('does nothing without --expose-gc', () => {
    const { before, after } = youngGeneration([]);
    expect(after).toBeGreaterThan(8);
    expect(after).toBeGreaterThanOrEqual(before * 0.9);
  });

  it('is switched on in every service script (compose.test.ts holds the image to the same commands)', () => {
    const scripts = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).scripts;
    for (const service of ['gateway', 'publisher', 'consumer']) expect(scripts[service], service).toMatch(/^node --expose-gc /);
  });
});
