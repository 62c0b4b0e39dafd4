import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_EVENT_BYTES } from '../events/max-size.ts';
import { configWarnings, DEFAULT_MAX_BODY_BYTES, parseGatewayConfig } from './config.ts';

const secret = `whsec_${randomBytes(32).toString('base64')}`;

describe('gateway secure defaults', () => {
  it('validates signatures unless told otherwise, so a secret is required', () => {
    expect(() => parseGatewayConfig({})).toThrow(/WEBHOOK_SIGNATURE_SECRET: required when WEBHOOK_SIGNATURE_VALIDATION_ENABLED=true/);
    expect(parseGatewayConfig({ WEBHOOK_SIGNATURE_SECRET: secret }).signature).toMatchObject({ enabled: true, keys: [expect.anything()] });
  });

  it('refuses a secret while validation is explicitly off: it would look protected and not be', () => {
    expect(() => parseGatewayConfig({ WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'false', WEBHOOK_SIGNATURE_SECRET: secret })).toThrow(
      /WEBHOOK_SIGNATURE_SECRET: is set while WEBHOOK_SIGNATURE_VALIDATION_ENABLED=false/,
    );
  });

  it('warns once, at start, only when validation is off', () => {
    expect(configWarnings(parseGatewayConfig({ WEBHOOK_SIGNATURE_SECRET: secret }))).toEqual([]);
    const warnings = configWarnings(parseGatewayConfig({ WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'false' }));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/WEBHOOK_SIGNATURE_VALIDATION_ENABLED=false/);
  });

  it('sizes the body limit to the largest valid event, rounded up to a KiB, with an override', () => {
    expect(DEFAULT_MAX_BODY_BYTES).toBeGreaterThanOrEqual(MAX_EVENT_BYTES);
    expect(DEFAULT_MAX_BODY_BYTES - MAX_EVENT_BYTES).toBeLessThan(1024);
    expect(DEFAULT_MAX_BODY_BYTES).toBeLessThanOrEqual(32 * 1024);
    expect(parseGatewayConfig({ WEBHOOK_SIGNATURE_SECRET: secret }).maxBodyBytes).toBe(DEFAULT_MAX_BODY_BYTES);
    expect(parseGatewayConfig({ WEBHOOK_SIGNATURE_SECRET: secret, WEBHOOK_MAX_BODY_BYTES: '65536' }).maxBodyBytes).toBe(65536);
  });

  it('bounds slow clients and connections, and trusts no proxy by default', () => {
    const c = parseGatewayConfig({ WEBHOOK_SIGNATURE_SECRET: secret });
    expect(c.server).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 15_000, maxConnections: 900 });
    expect(c.trustProxy).toBe(false);
    expect(c.rateLimit).toEqual({ enabled: false, perMinute: 6000, maxClients: 10_000 });
    expect(parseGatewayConfig({ WEBHOOK_SIGNATURE_SECRET: secret, WEBHOOK_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(() =>
      parseGatewayConfig({ WEBHOOK_SIGNATURE_SECRET: secret, WEBHOOK_HEADERS_TIMEOUT_MS: '20000', WEBHOOK_REQUEST_TIMEOUT_MS: '10000' }),
    ).toThrow(/WEBHOOK_HEADERS_TIMEOUT_MS/);
  });
});
