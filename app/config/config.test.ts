import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConsumerConfig } from '../consumer/config.ts';
import { parseGatewayConfig } from '../gateway/config.ts';
import { parsePublisherConfig } from '../publisher/config.ts';
import { ConfigError } from './env.ts';

const secret = `whsec_${randomBytes(32).toString('base64')}`;

describe('publisher configuration', () => {
  it('uses the design defaults', () => {
    const c = parsePublisherConfig({ CSR_WEBHOOK_URL: 'http://csr-platform:3000/webhooks/buddy-events' });
    expect(c).toMatchObject({
      webhookUrls: ['http://csr-platform:3000/webhooks/buddy-events'],
      timeoutMs: 5000,
      retry: { maxRetries: 5, baseDelayMs: 1000, jitter: 0.2 },
      enabled: true,
      signingKeys: [],
      port: 3001,
    });
    expect(c.adminToken).toBeUndefined();
  });

  it('requires CSR_WEBHOOK_URL', () => {
    expect(() => parsePublisherConfig({})).toThrow(ConfigError);
    expect(() => parsePublisherConfig({})).toThrow(/CSR_WEBHOOK_URL/);
  });

  it('names every bad value', () => {
    let message = '';
    try {
      parsePublisherConfig({ CSR_WEBHOOK_URL: 'not a url', CSR_WEBHOOK_TIMEOUT_MS: '-5', CSR_WEBHOOK_ENABLED: 'maybe', CSR_WEBHOOK_SECRET: 'plain' });
    } catch (err) {
      message = (err as Error).message;
    }
    for (const name of ['CSR_WEBHOOK_URL', 'CSR_WEBHOOK_TIMEOUT_MS', 'CSR_WEBHOOK_ENABLED']) expect(message).toContain(name);
  });

  it('rejects a secret that is not whsec_', () => {
    expect(() => parsePublisherConfig({ CSR_WEBHOOK_URL: 'http://x/y', CSR_WEBHOOK_SECRET: 'plain' })).toThrow(/CSR_WEBHOOK_SECRET.*whsec_/);
  });

  it('parses booleans, numbers, several URLs and rotation secrets', () => {
    const other = `whsec_${randomBytes(32).toString('base64')}`;
    const c = parsePublisherConfig({
      CSR_WEBHOOK_URL: 'http://a:1/h, http://b:2/h',
      CSR_WEBHOOK_ENABLED: 'false',
      CSR_WEBHOOK_RETRY_ATTEMPTS: '0',
      CSR_WEBHOOK_RETRY_BACKOFF_MS: '250',
      CSR_WEBHOOK_SECRET: `${secret} ${other}`,
      PUBLISHER_ADMIN_TOKEN: 't0ken',
    });
    expect(c.webhookUrls).toEqual(['http://a:1/h', 'http://b:2/h']);
    expect(c.enabled).toBe(false);
    expect(c.retry.maxRetries).toBe(0);
    expect(c.retry.baseDelayMs).toBe(250);
    expect(c.signingKeys).toHaveLength(2);
    expect(c.adminToken).toBe('t0ken');
  });

  it('treats an empty secret as unset', () => {
    expect(parsePublisherConfig({ CSR_WEBHOOK_URL: 'http://x/y', CSR_WEBHOOK_SECRET: '' }).signingKeys).toEqual([]);
  });
});

describe('gateway configuration', () => {
  it('uses the design defaults', () => {
    expect(parseGatewayConfig({})).toMatchObject({
      port: 3000,
      endpoint: '/webhooks/buddy-events',
      signature: { enabled: false, keys: [], toleranceSeconds: 300 },
      rateLimit: { enabled: false },
      nats: { servers: ['nats://127.0.0.1:4222'], duplicateWindowSeconds: 600 },
    });
  });

  it('requires a secret when validation is enabled', () => {
    expect(() => parseGatewayConfig({ WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'true' })).toThrow(/WEBHOOK_SIGNATURE_SECRET/);
    expect(parseGatewayConfig({ WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'true', WEBHOOK_SIGNATURE_SECRET: secret }).signature.keys).toHaveLength(1);
  });

  it('rejects a bad port, endpoint and rate', () => {
    expect(() => parseGatewayConfig({ WEBHOOK_PORT: '70000' })).toThrow(/WEBHOOK_PORT/);
    expect(() => parseGatewayConfig({ WEBHOOK_ENDPOINT: 'webhooks' })).toThrow(/WEBHOOK_ENDPOINT/);
    expect(() => parseGatewayConfig({ WEBHOOK_RATE_LIMIT_PER_MINUTE: '0' })).toThrow(/WEBHOOK_RATE_LIMIT_PER_MINUTE/);
    expect(() => parseGatewayConfig({ NATS_URL: 'nope' })).toThrow(/NATS_URL/);
  });
});

describe('consumer configuration', () => {
  it('parses the safety word list', () => {
    expect(parseConsumerConfig({ SAFETY_FLAG_WORDS: ' Harm, scared ,,' }).safetyWords).toEqual(['Harm', 'scared']);
    expect(parseConsumerConfig({}).port).toBe(3002);
  });
});
