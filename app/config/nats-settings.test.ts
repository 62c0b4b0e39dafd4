import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAccount, createUser } from '@nats-io/nkeys';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureNatsCredentials, type NatsCredentials } from '../bus/pki.ts';
import { parseConsumerConfig } from '../consumer/config.ts';
import { parseGatewayConfig } from '../gateway/config.ts';
import { parsePublisherConfig } from '../publisher/config.ts';
import { EVENT_BUS_LAYOUT } from '../bus/layout.ts';
import { DEFAULT_WEBHOOK_ENDPOINT } from '../gateway/config.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'nats-settings-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
let credentials: NatsCredentials;

beforeAll(() => {
  credentials = ensureNatsCredentials(path.join(dir, 'credentials'));
});

// One schema, three services: each reads the same variables the same way.
const parsers = {
  gateway: (env: Record<string, string>) => parseGatewayConfig({ WEBHOOK_SIGNATURE_VALIDATION_ENABLED: 'false', ...env }).nats,
  consumer: (env: Record<string, string>) => parseConsumerConfig(env).nats,
  publisher: (env: Record<string, string>) =>
    parsePublisherConfig({ CSR_WEBHOOK_URL: `http://127.0.0.1:3000${DEFAULT_WEBHOOK_ENDPOINT}`, ...env }).nats,
};

describe.each(Object.entries(parsers))('the %s reads the shared NATS settings', (_service, parse) => {
  it('connects anonymously without TLS by default (a development nats-server)', () => {
    const nats = parse({});
    expect(nats).toMatchObject({ servers: ['nats://127.0.0.1:4222'], stream: EVENT_BUS_LAYOUT.stream, subjectPrefix: 'buddy-events' });
    expect(nats.nkey).toBeUndefined();
    expect(nats.tls).toBeUndefined();
  });

  it('takes its identity from NATS_NKEY_SEED_FILE and the CA from NATS_TLS_CA_FILE', () => {
    const nats = parse({ NATS_NKEY_SEED_FILE: credentials.seedFiles.gateway, NATS_TLS_CA_FILE: credentials.caFile });
    expect(nats.nkey).toEqual({ seedFile: credentials.seedFiles.gateway, publicKey: credentials.publicKeys.gateway });
    expect(nats.tls).toEqual({ caFile: credentials.caFile });
  });

  it.each([
    {
      name: 'a missing seed file',
      env: () => ({ NATS_NKEY_SEED_FILE: path.join(dir, 'absent.nk') }),
      error: /NATS_NKEY_SEED_FILE: cannot read .*absent\.nk \(ENOENT\)/,
    },
    {
      name: 'an account seed instead of a user seed',
      env: () => ({ NATS_NKEY_SEED_FILE: file('account.nk', new TextDecoder().decode(createAccount().getSeed())) }),
      error: /NATS_NKEY_SEED_FILE: .*account\.nk is not an nkey user seed/,
    },
    {
      name: 'a corrupted user seed',
      env: () => ({ NATS_NKEY_SEED_FILE: file('bad.nk', `${new TextDecoder().decode(createUser().getSeed()).slice(0, -3)}AAA`) }),
      error: /NATS_NKEY_SEED_FILE: .*bad\.nk is not a valid nkey user seed/,
    },
    {
      name: 'a CA file that is not a certificate',
      env: () => ({ NATS_TLS_CA_FILE: file('ca.txt', 'hello') }),
      error: /NATS_TLS_CA_FILE: .*ca\.txt is not a PEM certificate/,
    },
  ])('refuses $name, naming the variable and the file', ({ env, error }) => {
    expect(() => parse(env())).toThrow(error);
  });
});
