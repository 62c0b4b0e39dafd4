import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROMETHEUS_RETENTION } from '../harness/stack/prometheus.ts';
import { REPO_ROOT } from '../observability/repo-root.ts';
import { durationDays, requiredRetentionDays, retentionOf } from './retention.ts';
import { loadSloSpecs } from './spec.ts';

const specs = loadSloSpecs();

describe('Prometheus retention for the SLOs', () => {
  it.each([
    ['35d', 35],
    ['4w', 28],
    ['720h', 30],
    ['1y', 365],
    ['35', undefined],
    ['10GB', undefined],
  ] as const)('%s is %s days', (duration, days) => {
    expect(durationDays(duration)).toBe(days);
  });

  it('needs the longest SLO window plus five days, and reads a missing flag as the 15-day default', () => {
    expect(requiredRetentionDays(specs)).toBe(35);
    expect(requiredRetentionDays([{ ...specs[0]!, window: { duration: '1M', rolling: false } }])).toBe(35);
    expect(retentionOf(['--config.file=p.yml'])).toBe('15d');
    expect(retentionOf(['--storage.tsdb.retention.time=40d'])).toBe('40d');
  });

  it('is long enough in compose, which otherwise keeps 15 days', () => {
    const compose = parse(readFileSync(path.join(REPO_ROOT, 'compose/docker-compose.yml'), 'utf8')) as {
      services: { prometheus: { command: string[] } };
    };
    expect(durationDays(retentionOf(compose.services.prometheus.command))).toBeGreaterThanOrEqual(requiredRetentionDays(specs));
  });

  it('is long enough in the demo and the test stacks', () => {
    expect(durationDays(PROMETHEUS_RETENTION)).toBeGreaterThanOrEqual(requiredRetentionDays(specs));
  });
});
