import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NATS_IDENTITIES, permissionsFor, type NatsIdentity } from './identities.ts';
import { EVENT_BUS_LAYOUT } from './layout.ts';
import { ensureNatsCredentials } from './pki.ts';
import { natsServerConfig, type NatsServerConfigOptions } from './server-config.ts';

const layout = EVENT_BUS_LAYOUT;
const S = layout.stream;

/** NATS subject matching: `*` is one token, `>` one or more trailing tokens. */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

const allowed = (identity: NatsIdentity, action: 'publish' | 'subscribe', subject: string) =>
  permissionsFor(identity, layout)[action].some((p) => matches(p, subject));

const EVENT = 'buddy-events.buddy.match.created.v2';
const api = (rest: string) => `$JS.API.${rest}`;

describe('permissionsFor', () => {
  it.each([
    // The forged publish of issue 17 needs an identity whose job is publishing.
    ['gateway', 'publish', EVENT, true],
    ['publisher', 'publish', EVENT, true],
    ['consumer', 'publish', EVENT, false],
    ['provisioner', 'publish', EVENT, false],
    ['auditor', 'publish', EVENT, false],
    ['gateway', 'publish', 'other-events.x', false],
    // The gateway reads the stream's configuration at start and for readiness; nothing more.
    ['gateway', 'publish', api(`STREAM.INFO.${S}`), true],
    ['gateway', 'publish', api('STREAM.INFO.OTHER'), false],
    ['gateway', 'publish', api(`STREAM.CREATE.${S}`), false],
    ['gateway', 'publish', api(`STREAM.UPDATE.${S}`), false],
    ['gateway', 'publish', api(`STREAM.DELETE.${S}`), false],
    ['gateway', 'publish', api(`STREAM.PURGE.${S}`), false],
    ['gateway', 'publish', api(`CONSUMER.CREATE.${S}.tap`), false],
    ['publisher', 'publish', api(`STREAM.DELETE.${S}`), false],
    // Each consumer fetches, acks and reads its own durables only.
    ['consumer', 'publish', api(`CONSUMER.MSG.NEXT.${S}.q2q-ai`), true],
    ['consumer', 'publish', api(`CONSUMER.INFO.${S}.safety`), true],
    ['consumer', 'publish', `$JS.ACK.${S}.journey.1.5.5.1700000000000000000.0`, true],
    ['consumer', 'publish', api(`CONSUMER.MSG.NEXT.${S}.someone-else`), false],
    ['consumer', 'publish', `$JS.ACK.${S}.someone-else.1.5.5.1700000000000000000.0`, false],
    ['consumer', 'publish', api(`CONSUMER.DELETE.${S}.q2q-ai`), false],
    ['consumer', 'publish', api(`CONSUMER.CREATE.${S}.q2q-ai`), false],
    ['consumer', 'publish', api(`STREAM.INFO.${S}`), false],
    // The provisioner creates and updates; it deletes and purges nothing.
    ['provisioner', 'publish', api(`STREAM.CREATE.${S}`), true],
    ['provisioner', 'publish', api(`STREAM.UPDATE.${S}`), true],
    ['provisioner', 'publish', api(`CONSUMER.CREATE.${S}.q2q-ai.buddy-events.>`), true],
    ['provisioner', 'publish', api(`CONSUMER.DURABLE.CREATE.${S}.journey`), true],
    ['provisioner', 'publish', api(`STREAM.DELETE.${S}`), false],
    ['provisioner', 'publish', api(`STREAM.PURGE.${S}`), false],
    ['provisioner', 'publish', api(`CONSUMER.DELETE.${S}.q2q-ai`), false],
    ['provisioner', 'publish', api(`CONSUMER.MSG.NEXT.${S}.q2q-ai`), false],
    // The auditor reads the stream and its messages, and changes nothing.
    ['auditor', 'publish', api(`STREAM.MSG.GET.${S}`), true],
    ['auditor', 'publish', api(`STREAM.MSG.DELETE.${S}`), false],
    ['auditor', 'publish', api(`CONSUMER.CREATE.${S}.reader`), false],
    // Replies: each identity reads its own inbox and nobody else's.
    ['gateway', 'subscribe', '_INBOX.gateway.abc.1', true],
    ['gateway', 'subscribe', '_INBOX.consumer.abc.1', false],
    ['consumer', 'subscribe', '_INBOX.consumer.abc.1', true],
    ['consumer', 'subscribe', '_INBOX.abc', false],
    ['publisher', 'subscribe', EVENT, false],
  ] as const)('%s may %s %s: %s', (identity, action, subject, expected) => {
    expect(allowed(identity, action, subject)).toBe(expected);
  });

  it('gives no identity a wildcard over the JetStream API or all inboxes', () => {
    for (const identity of NATS_IDENTITIES) {
      const { publish, subscribe } = permissionsFor(identity, layout);
      expect(publish.filter((p) => p === '>' || p.startsWith('$JS.API.>') || p === '$JS.>')).toEqual([]);
      expect(subscribe.filter((p) => p === '>' || p === '_INBOX.>')).toEqual([]);
    }
  });
});

const options = (extra: Partial<NatsServerConfigOptions> = {}): NatsServerConfigOptions => ({
  serverName: 'nats-1',
  listen: { host: '127.0.0.1', port: 4222 },
  monitor: { host: '127.0.0.1', port: 8222 },
  storeDir: '/tmp/nats-store',
  tls: { certFile: '/certs/server.pem', keyFile: '/certs/server-key.pem', caFile: '/certs/ca.pem' },
  users: { gateway: 'UGATEWAY', consumer: 'UCONSUMER' },
  layout,
  ...extra,
});

describe('natsServerConfig', () => {
  it.each([
    { name: 'single node', config: natsServerConfig(options()), cluster: false },
    {
      name: 'cluster node',
      config: natsServerConfig(
        options({
          cluster: { name: 'event-bus', listen: { host: '0.0.0.0', port: 6222 }, routes: ['nats://nats-1:6222', 'nats://nats-2:6222'] },
        }),
      ),
      cluster: true,
    },
  ])('$name: TLS required, one user per identity, no anonymous access', ({ config, cluster }) => {
    expect(config).toMatch(/^tls \{\n {2}cert_file: "\/certs\/server.pem"/m);
    expect(config.match(/nkey: "U[A-Z]+"/g)).toEqual(['nkey: "UGATEWAY"', 'nkey: "UCONSUMER"']);
    expect(config).not.toMatch(/no_auth_user|authorization \{|password/);
    // API subjects are quoted: unquoted, $JS would be read as a variable.
    expect(config).toContain(`"$JS.API.STREAM.INFO.${S}"`);
    expect(/cluster \{[\s\S]*verify: true/.test(config)).toBe(cluster);
  });

  it('is accepted by nats-server -t, single node and cluster node alike', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nats-conf-'));
    // Real files: the server loads the certificates while checking.
    const credentials = ensureNatsCredentials(path.join(dir, 'credentials'));
    const tls = { certFile: credentials.certFile, keyFile: credentials.keyFile, caFile: credentials.caFile };
    const nodes: [string, Partial<NatsServerConfigOptions>][] = [
      ['single', {}],
      ['cluster', { cluster: { name: 'event-bus', listen: { host: '127.0.0.1', port: 6222 }, routes: ['nats://127.0.0.1:6223'] } }],
    ];
    for (const [name, extra] of nodes) {
      const file = path.join(dir, `${name}.conf`);
      writeFileSync(file, natsServerConfig(options({ ...extra, tls, users: credentials.publicKeys, storeDir: path.join(dir, name) })));
      const check = spawnSync('nats-server', ['-t', '-c', file], { encoding: 'utf8' });
      expect(check.status, check.stderr).toBe(0);
      expect(check.stdout + check.stderr).toContain('is valid');
    }
  });
});
