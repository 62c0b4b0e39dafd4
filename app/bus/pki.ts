// The bus's credentials, generated where they are used (the demo's state directory, a test's
// temporary directory, compose's one-shot nats-setup service) and never committed: a CA and one
// server certificate (openssl CLI), and an nkey per service identity.
//
// Why nkeys rather than user/password: the server configuration holds only public keys, so it is
// no secret; each service's seed file is the only copy of its private key, and the seed never goes
// over the wire (the client signs the server's nonce).
import { execFileSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { NATS_IDENTITIES, type NatsIdentity } from './identities.ts';
import { publicKeyOfSeed } from './nkey-seed.ts';

export type NatsCredentials = {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  seedFiles: Record<NatsIdentity, string>;
  publicKeys: Record<NatsIdentity, string>;
};

/** Loopback names every certificate carries: the harness, the fault proxy and the demo connect to 127.0.0.1. */
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1'] as const;

const CA_VALID_DAYS = 3650;
const SERVER_VALID_DAYS = 365;
// A state directory reused after months gets a fresh server certificate instead of a failed handshake.
const RENEW_WITHIN_MS = 7 * 24 * 3600 * 1000;

/**
 * Creates what is missing under `dir` and keeps what is there (a demo restarted on its state
 * directory keeps its identities). The server certificate is reissued when it does not cover
 * `hosts`, expires within a week, or was not issued by the CA found there.
 */
export function ensureNatsCredentials(dir: string, options: { hosts?: readonly string[] } = {}): NatsCredentials {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const hosts = [...new Set([...LOOPBACK_HOSTS, ...(options.hosts ?? [])])];
  const caFile = path.join(dir, 'ca.pem');
  const caKeyFile = path.join(dir, 'ca-key.pem');
  const certFile = path.join(dir, 'server.pem');
  const keyFile = path.join(dir, 'server-key.pem');
  if (!existsSync(caFile) || !existsSync(caKeyFile)) createCa(dir, caFile, caKeyFile);
  if (!serverCertificateUsable(certFile, keyFile, caFile, hosts))
    issueServerCertificate(dir, { caFile, caKeyFile, certFile, keyFile, hosts });
  const seedFiles = {} as Record<NatsIdentity, string>;
  const publicKeys = {} as Record<NatsIdentity, string>;
  for (const identity of NATS_IDENTITIES) {
    const seedFile = path.join(dir, `${identity}.nk`);
    if (!existsSync(seedFile)) writeFileSync(seedFile, `${new TextDecoder().decode(createUser().getSeed())}\n`, { mode: 0o600 });
    seedFiles[identity] = seedFile;
    publicKeys[identity] = publicKeyOfSeed(readFileSync(seedFile, 'utf8'));
  }
  return { dir, caFile, certFile, keyFile, seedFiles, publicKeys };
}

/** What a service needs to connect as `identity` (see app/config/nats-settings.ts). */
export function natsIdentityEnv(credentials: NatsCredentials, identity: NatsIdentity): Record<string, string> {
  return { NATS_NKEY_SEED_FILE: credentials.seedFiles[identity], NATS_TLS_CA_FILE: credentials.caFile };
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error('openssl not found: install it (Debian: apt-get install openssl) to generate the NATS certificates');
    throw new Error(`openssl ${args[0]} failed: ${stderr || (err as Error).message}`);
  }
}

// P-256: fast to generate, and accepted by both Go's TLS (nats-server) and Node's.
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function createCa(dir: string, caFile: string, caKeyFile: string): void {
  const conf = path.join(dir, 'ca.cnf');
  writeFileSync(
    conf,
    [
      '[req]',
      'distinguished_name = dn',
      'prompt = no',
      '[dn]',
      'CN = event-bus NATS CA',
      '[ca_ext]',
      'basicConstraints = critical,CA:TRUE',
      'keyUsage = critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier = hash',
      '',
    ].join('\n'),
  );
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-config',
      conf,
      '-extensions',
      'ca_ext',
      ...NEW_KEY,
      '-keyout',
      caKeyFile,
      '-out',
      caFile,
      '-days',
      String(CA_VALID_DAYS),
    ],
    dir,
  );
  rmSync(conf);
  chmodSync(caKeyFile, 0o600);
}

function issueServerCertificate(
  dir: string,
  files: { caFile: string; caKeyFile: string; certFile: string; keyFile: string; hosts: string[] },
): void {
  const conf = path.join(dir, 'server.cnf');
  const csr = path.join(dir, 'server.csr');
  const san = files.hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  writeFileSync(
    conf,
    [
      '[req]',
      'distinguished_name = dn',
      'prompt = no',
      '[dn]',
      'CN = nats',
      // clientAuth too: cluster nodes present this certificate to each other on their routes.
      '[server_ext]',
      'basicConstraints = CA:FALSE',
      'keyUsage = critical,digitalSignature',
      'extendedKeyUsage = serverAuth,clientAuth',
      `subjectAltName = ${san}`,
      'authorityKeyIdentifier = keyid',
      '',
    ].join('\n'),
  );
  openssl(['req', '-new', '-config', conf, ...NEW_KEY, '-keyout', files.keyFile, '-out', csr], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      files.caFile,
      '-CAkey',
      files.caKeyFile,
      '-set_serial',
      `0x${randomBytes(16).toString('hex')}`,
      '-days',
      String(SERVER_VALID_DAYS),
      '-extfile',
      conf,
      '-extensions',
      'server_ext',
      '-out',
      files.certFile,
    ],
    dir,
  );
  rmSync(conf);
  rmSync(csr);
  chmodSync(files.keyFile, 0o600);
}

function serverCertificateUsable(certFile: string, keyFile: string, caFile: string, hosts: string[]): boolean {
  if (!existsSync(certFile) || !existsSync(keyFile)) return false;
  try {
    const cert = new X509Certificate(readFileSync(certFile));
    const ca = new X509Certificate(readFileSync(caFile));
    if (!cert.verify(ca.publicKey)) return false;
    if (Date.parse(cert.validTo) - Date.now() < RENEW_WITHIN_MS) return false;
    return hosts.every((h) => (isIP(h) ? cert.checkIP(h) !== undefined : cert.checkHost(h) !== undefined));
  } catch {
    return false;
  }
}
