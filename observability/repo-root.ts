// The repository's root, for code that reads committed files (rules, specs, dashboards, runbooks).
// It lives here, not in harness/, so that the monitoring code never depends on the test harness.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
