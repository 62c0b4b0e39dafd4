// The compressed soak: a few minutes at several hundred events/s on a real stack, with a short inbox
// retention, judged as the 24-hour one is. It fails on a leak, and on an inbox that stops shrinking.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../integration/support.ts';
import { parseDuration, runSoak, writeSoakReport } from './soak.ts';

const RATE = 250;
const RETENTION_MS = 15_000;

describe('npm run soak, compressed', () => {
  it.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['24h', 86_400_000],
    ['1500ms', 1500],
  ])('reads the duration %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('refuses a duration without a unit', () => {
    expect(() => parseDuration('24')).toThrow(/not a duration/);
  });

  it(`holds ${RATE} events/s for 100 s with no leak, and retention keeps the inbox bounded`, async () => {
    const result = await runSoak({
      dir: tempDir('soak'),
      durationMs: 100_000,
      ratePerSecond: RATE,
      sampleEveryMs: 2000,
      warmupMs: 40_000,
      inboxRetentionMs: RETENTION_MS,
    });
    const out = tempDir('soak-out');
    writeSoakReport(out, result);
    const table = result.verdict.series.map((s) => `${s.series}: growth ${s.growth.toFixed(0)} / ${s.allowance.toFixed(0)}`).join('\n');
    expect(result.load, table).toMatchObject({ errors: 0, dropped: 0 });
    expect(result.verdict.leaks, table).toEqual([]);
    // Every series the issue asks for was sampled, for every service.
    for (const service of ['gateway', 'publisher', 'consumer'])
      for (const measure of ['rss_bytes', 'heap_used_bytes', 'open_fds', 'event_loop_delay_p99_seconds'])
        expect(result.verdict.series.find((s) => s.series === `${service}.${measure}`)?.samples, `${service}.${measure}`).toBeGreaterThan(
          10,
        );
    // Retention: the inbox holds about retention (+ up to a sweep interval) × rate × 3 consumers,
    // never the whole run's 3 × 25 000 rows.
    const processed = result.samples.at(-1)!.values['consumer.processed_rows']!;
    expect(processed).toBeGreaterThan(0);
    expect(processed).toBeLessThan(3 * RATE * ((RETENTION_MS * 1.25) / 1000) * 1.2);
    expect(readFileSync(path.join(out, 'soak.md'), 'utf8')).toContain('slope per hour');
    expect(existsSync(path.join(out, 'soak-rss_bytes.svg'))).toBe(true);
  }, 170_000);
});
