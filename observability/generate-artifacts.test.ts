import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED_FILES } from './generate-artifacts.ts';
import { REPO_ROOT } from './repo-root.ts';

describe('generated artifacts', () => {
  it.each(GENERATED_FILES.map((f) => [f.path, f] as const))(
    '%s is committed and matches its source (run `npm run generate`)',
    (_path, file) => {
      const full = path.join(REPO_ROOT, file.path);
      expect(existsSync(full), `${file.path} is missing`).toBe(true);
      expect(readFileSync(full, 'utf8')).toBe(file.render());
    },
  );
});
