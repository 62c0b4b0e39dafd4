import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConsumerConfig } from '../consumer/config.ts';
import { parseGatewayConfig } from '../gateway/config.ts';
import { parsePublisherConfig } from '../publisher/config.ts';
import { ConfigError, readSecretFiles } from './env.ts';
import { DEFAULT_WEBHOOK_ENDPOINT } from '../gateway/config.ts';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const token = () => randomBytes(32).toString('base64url');
const adminToken = token();

describe('publisher configuration', () => {
  it('uses the design defaults', () => {
    const c = parsePublisherConfig({ CSR_WEBHOOK_URL: `http://csr-platform:3000${DEFAULT_WEBHOOK_ENDPOINT}` });
    expect(c).toMatchObject({
      webhookUrls: [`http://csr-platform:3000${DEFAULT_WEBHOOK_ENDPOINT}`],
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
      parsePublisherConfig({
        CSR_WEBHOOK_URL: 'not a url',
        CSR_WEBHOOK_TIMEOUT_MS: '-5',
        CSR_WEBHOOK_ENABLED: 'maybe',
        CSR_WEBHOOK_SECRET: 'plain',
      });
    } catch (err) {
      message = (err as Error).message;
    }
    for (const name of ['CSR_WEBHOOK_URL', 'CSR_WEBHOOK_TIMEOUT_MS', 'CSR_WEBHOOK_ENABLED']) expect(message).toContain(name);
  });

  it('rejects a secret that is not whsec_', () => {
    expect(() => parsePublisherConfig({ CSR_WEBHOOK_URL: 'http://x/y', CSR_WEBHOOK_SECRET: 'plain' })).toThrow(
      /CSR_WEBHOOK_SECRET.*whsec_/,
    );
  });

  it('parses booleans, numbers, several URLs and rotation secrets', () => {
    const other = `whsec_${randomBytes(32).toString('base64')}`;
    const c = parsePublisherConfig({
      CSR_WEBHOOK_URL: 'http://a:1/h, http://b:2/h',
      CSR_WEBHOOK_ENABLED: 'false',
      CSR_WEBHOOK_RETRY_ATTEMPTS: '0',
      CSR_WEBHOOK_RETRY_BACKOFF_MS: '250',
      CSR_WEBHOOK_SECRET: `${secret} ${other}`,
      PUBLISHER_ADMIN_TOKEN: adminToken,
    });
    expect(c.webhookUrls).toEqual(['http://a:1/h', 'http://b:2/h']);
    expect(c.enabled).toBe(false);
    expect(c.retry.maxRetries).toBe(0);
    expect(c.retry.baseDelayMs).toBe(250);
    expect(c.signingKeys).toHaveLength(2);
    expect(c.adminToken).toBe(adminToken);
  });

  it('treats an empty secret as unset', () => {
    expect(parsePublisherConfig({ CSR_WEBHOOK_URL: 'http://x/y', CSR_WEBHOOK_SECRET: '' }).signingKeys).toEqual([]);
  });
});

describe('gateway configuration', () => {
  it('uses the design defaults', () => {
    // Signature validation is on by default, so the one setting without a default is the secret.
    expect(parseGatewayConfig({ WEBHOOK_SIGNATURE_SECRET: secret })).toMatchObject({
      port: 3000,
      endpoint: DEFAULT_WEBHOOK_ENDPOINT,
      signature: { enabled: true, toleranceSeconds: 300 },
      rateLimit: { enabled: false },
      nats: { servers: ['nats://127.0.0.1:4222'], duplicateWindowSeconds: 600 },
    });
  });

  it('requires a secret when validation is enabled', () => {
    expect(() => parseGatewayConfig({ WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'true' })).toThrow(/WEBHOOK_SIGNATURE_SECRET/);
    expect(
      parseGatewayConfig({ WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'true', WEBHOOK_SIGNATURE_SECRET: secret }).signature.keys,
    ).toHaveLength(1);
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

describe('<NAME>_FILE secrets', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'config-secrets-'));
  const file = (name: string, content: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, content, { mode: 0o600 });
    return p;
  };
  const value = file('value', 's3cret\n');

  it.each([
    { case: 'neither set', source: {}, expected: { S: undefined } },
    { case: 'only the variable', source: { S: 'direct' }, expected: { S: 'direct' } },
    { case: 'only the file: its content, without the trailing newline', source: { S_FILE: value }, expected: { S: 's3cret' } },
    { case: 'CRLF and several newlines trimmed', source: { S_FILE: file('crlf', 's3cret\r\n\n') }, expected: { S: 's3cret' } },
    {
      case: 'inner spaces kept (rotation lists)',
      source: { S_FILE: file('list', 'whsec_a whsec_b\n') },
      expected: { S: 'whsec_a whsec_b' },
    },
    { case: 'an empty _FILE counts as unset', source: { S: 'direct', S_FILE: '' }, expected: { S: 'direct' } },
    { case: 'names not listed are left alone', source: { OTHER_FILE: value }, expected: { OTHER: undefined } },
  ])('$case', ({ source, expected }) => {
    const resolved = readSecretFiles(source, ['S']);
    for (const [k, v] of Object.entries(expected)) expect(resolved[k]).toBe(v);
  });

  it.each([
    { case: 'both set', source: { S: 'direct', S_FILE: value }, message: /S: set either S or S_FILE, not both/ },
    { case: 'a missing file', source: { S_FILE: path.join(dir, 'absent') }, message: /S_FILE: cannot read .*absent \(ENOENT\)/ },
    { case: 'an empty file', source: { S_FILE: file('empty', '\n') }, message: /S_FILE: .*empty is empty/ },
  ])('$case is a ConfigError', ({ source, message }) => {
    expect(() => readSecretFiles(source, ['S'])).toThrow(ConfigError);
    expect(() => readSecretFiles(source, ['S'])).toThrow(message);
  });

  it('reaches every secret of every service', () => {
    const api = token();
    const databaseUrl = 'postgres://outbox:pa55@db:5432/outbox';
    const publisher = parsePublisherConfig({
      CSR_WEBHOOK_URL: 'http://x/y',
      CSR_WEBHOOK_SECRET_FILE: file('csr', `${secret}\n`),
      PUBLISHER_ADMIN_TOKEN_FILE: file('padmin', `${adminToken}\n`),
      PUBLISHER_API_TOKEN_FILE: file('papi', `${api}\n`),
      PUBLISHER_STORE: 'postgres',
      PUBLISHER_DATABASE_URL_FILE: file('db', `${databaseUrl}\n`),
      NATS_URL_FILE: file('nats', 'nats://user:pw@nats:4222\n'),
    });
    expect(publisher).toMatchObject({
      adminToken,
      apiToken: api,
      store: { kind: 'postgres', url: databaseUrl },
      nats: { servers: ['nats://user:pw@nats:4222'] },
    });
    expect(publisher.signingKeys).toHaveLength(1);
    const gateway = parseGatewayConfig({
      WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'true',
      WEBHOOK_SIGNATURE_SECRET_FILE: file('gw', `${secret}\n`),
      GATEWAY_ADMIN_TOKEN_FILE: file('gadmin', adminToken),
    });
    expect(gateway.adminToken).toBe(adminToken);
    expect(gateway.signature.keys).toHaveLength(1);
    expect(parseConsumerConfig({ NATS_URL_FILE: file('cnats', 'nats://c:pw@nats:4222\n') }).nats.servers).toEqual([
      'nats://c:pw@nats:4222',
    ]);
    // A secret read from a file is validated like one set directly.
    expect(() => parseGatewayConfig({ WEBHOOK_SIGNATURE_SECRET_FILE: file('plain', 'plain\n') })).toThrow(
      /WEBHOOK_SIGNATURE_SECRET.*whsec_/,
    );
  });
});

describe('bearer tokens', () => {
  const publisher = (env: Record<string, string>) => () => parsePublisherConfig({ CSR_WEBHOOK_URL: 'http://x/y', ...env });
  const gateway = (env: Record<string, string>) => () =>
    parseGatewayConfig({ WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'true', WEBHOOK_SIGNATURE_SECRET: secret, ...env });

  it.each([
    { name: 'PUBLISHER_ADMIN_TOKEN', parse: publisher },
    { name: 'PUBLISHER_API_TOKEN', parse: publisher },
    { name: 'GATEWAY_ADMIN_TOKEN', parse: gateway },
  ])('$name refuses short, public and unprintable tokens, and takes a random one', ({ name, parse }) => {
    expect(parse({ [name]: 'demo-admin-token' })).toThrow(ConfigError);
    expect(parse({ [name]: 'demo-admin-token' })).toThrow(new RegExp(`${name}: .*at least 32 characters`));
    expect(parse({ [name]: 'x'.repeat(31) })).toThrow(new RegExp(name));
    expect(parse({ [name]: `${'x'.repeat(31)} y` })).toThrow(/printable ASCII without spaces/);
    expect(parse({ [name]: 'x'.repeat(32) })).not.toThrow();
    expect(parse({ [name]: token() })).not.toThrow();
    expect(parse({ [name]: '' })).not.toThrow();
  });

  it('names the published demo token as such', () => {
    expect(publisher({ PUBLISHER_ADMIN_TOKEN: 'demo-admin-token' })).toThrow(/PUBLISHER_ADMIN_TOKEN: is the published demo token/);
  });

  it("keeps the application's and the operators' tokens apart", () => {
    expect(publisher({ PUBLISHER_ADMIN_TOKEN: adminToken, PUBLISHER_API_TOKEN: adminToken })).toThrow(
      /PUBLISHER_API_TOKEN: must differ from PUBLISHER_ADMIN_TOKEN/,
    );
  });
});
