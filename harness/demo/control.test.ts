// The demo's control API starts processes, so it must not become a way to run code: the NODE_OPTIONS
// probe from issue 17, a DNS-rebinding Host, and the token's file. Decisions are tested as tables;
// the probes go to a real control server in front of a real publisher process.
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSecret, tempDir } from '../integration/support.ts';
import { loaderAffectingKeys, startService, type Service } from '../stack/service.ts';
import { readOrCreateTokenFile } from '../stack/token-file.ts';
import { checkControlRequest, isLoopbackHost, parseStartRequest, startControlServer } from './control.ts';
import { adminTokenFile, parseDemoOptions } from './options.ts';
import { DEFAULT_WEBHOOK_ENDPOINT } from '../../app/gateway/config.ts';

describe('control API decisions', () => {
  it.each([
    ['127.0.0.1:9301', true],
    ['localhost:9301', true],
    ['LOCALHOST:9301', true],
    ['[::1]:9301', true],
    ['127.0.0.1:9302', false],
    ['127.0.0.1', false],
    ['evil.example:9301', false],
    ['127.0.0.1.nip.io:9301', false],
    ['localhost.evil.example:9301', false],
    ['0.0.0.0:9301', false],
    ['', false],
    [undefined, false],
  ])('Host %s is loopback: %s', (host, expected) => {
    expect(isLoopbackHost(host, 9301)).toBe(expected);
  });

  it('accepts a bare loopback name only on port 80, where clients omit the port', () => {
    expect(isLoopbackHost('localhost', 80)).toBe(true);
    expect(isLoopbackHost('localhost', 9301)).toBe(false);
  });

  const expected = { port: 9301, token: 'a'.repeat(43) };
  const auth = `Bearer ${expected.token}`;
  it.each([
    {
      case: 'rebinding Host, right token',
      req: { method: 'POST', url: '/control/gateway/start', host: 'evil.example:9301', authorization: auth },
      status: 421,
      reason: 'host_not_loopback',
    },
    {
      case: 'no token',
      req: { method: 'POST', url: '/control/gateway/start', host: '127.0.0.1:9301' },
      status: 401,
      reason: 'admin_unauthorized',
    },
    {
      case: 'the old demo token',
      req: { method: 'GET', url: '/control/info', host: '127.0.0.1:9301', authorization: 'Bearer demo-admin-token' },
      status: 401,
      reason: 'admin_unauthorized',
    },
    {
      case: 'token without Bearer',
      req: { method: 'GET', url: '/control/info', host: '127.0.0.1:9301', authorization: expected.token },
      status: 401,
      reason: 'admin_unauthorized',
    },
    {
      case: 'unknown service',
      req: { method: 'POST', url: '/control/prometheus/start', host: '127.0.0.1:9301', authorization: auth },
      status: 404,
      reason: 'not_found',
    },
    {
      case: 'a trace of something that is not an event id',
      req: { method: 'GET', url: '/trace/..%2F..%2Fetc%2Fpasswd', host: '127.0.0.1:9301', authorization: auth },
      status: 404,
      reason: 'not_found',
    },
    {
      case: 'a trace without the token',
      req: { method: 'GET', url: '/trace/0b5f3c1e-8d2a-4f6b-9c7d-1e2f3a4b5c6d', host: '127.0.0.1:9301' },
      status: 401,
      reason: 'admin_unauthorized',
    },
    {
      case: 'GET on an action',
      req: { method: 'GET', url: '/control/gateway/kill', host: 'localhost:9301', authorization: auth },
      status: 404,
      reason: 'not_found',
    },
  ])('refuses $case: $status $reason', ({ req, status, reason }) => {
    const check = checkControlRequest(req, expected);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.problem).toMatchObject({ status, reason });
  });

  it.each([
    { req: { method: 'GET', url: '/control/info' }, route: { action: 'info' } },
    { req: { method: 'POST', url: '/control/nats/kill' }, route: { action: 'kill', service: 'nats' } },
    { req: { method: 'POST', url: '/control/consumer/start' }, route: { action: 'start', service: 'consumer' } },
    {
      req: { method: 'GET', url: '/trace/0b5f3c1e-8d2a-4f6b-9c7d-1e2f3a4b5c6d' },
      route: { action: 'trace', eventId: '0b5f3c1e-8d2a-4f6b-9c7d-1e2f3a4b5c6d' },
    },
  ])('routes $req.method $req.url', ({ req, route }) => {
    expect(checkControlRequest({ ...req, host: '[::1]:9301', authorization: auth }, expected)).toEqual({ ok: true, route });
  });

  it.each([
    { service: 'gateway', body: '{"env":{"NODE_OPTIONS":"--import=/tmp/x.mjs"}}', reason: 'env_not_allowed' },
    {
      service: 'consumer',
      body: '{"env":{"CONSUMER_HANDLER_DELAY_MS":"1000","NODE_OPTIONS":"--require=/tmp/x.cjs"}}',
      reason: 'env_not_allowed',
    },
    { service: 'consumer', body: '{"env":{"LD_PRELOAD":"/tmp/x.so"}}', reason: 'env_not_allowed' },
    { service: 'consumer', body: '{"env":{"CONSUMER_DB_PATH":"/etc/passwd"}}', reason: 'env_not_allowed' },
    { service: 'gateway', body: '{"env":{"CONSUMER_HANDLER_DELAY_MS":"1000"}}', reason: 'env_not_allowed' },
    { service: 'consumer', body: '{"env":{"CONSUMER_HANDLER_DELAY_MS":"1000; rm -rf /"}}', reason: 'env_value_invalid' },
    { service: 'consumer', body: '{"env":{"CONSUMER_HANDLER_DELAY_MS":1000}}', reason: 'schema_invalid' },
    { service: 'consumer', body: '{"env":{},"argv":["--inspect"]}', reason: 'schema_invalid' },
    { service: 'consumer', body: '{"env":{"__proto__":"1"}}', reason: 'env_not_allowed' },
    { service: 'consumer', body: '{"env":', reason: 'malformed_json' },
  ] as const)('refuses to start $service with $body: $reason', ({ service, body, reason }) => {
    const start = parseStartRequest(service, body);
    expect(start.ok).toBe(false);
    if (!start.ok) expect(start.problem).toMatchObject({ status: 400, reason });
  });

  it.each([
    { service: 'consumer', body: '{"env":{"CONSUMER_HANDLER_DELAY_MS":"1000"}}', env: { CONSUMER_HANDLER_DELAY_MS: '1000' } },
    { service: 'consumer', body: '{}', env: {} },
    { service: 'gateway', body: '', env: {} },
    { service: 'nats', body: '{"env":{}}', env: {} },
  ] as const)('starts $service with $body', ({ service, body, env }) => {
    expect(parseStartRequest(service, body)).toEqual({ ok: true, env });
  });

  it.each([
    [{ NODE_OPTIONS: '--import=/tmp/x.mjs' }, ['NODE_OPTIONS']],
    [{ node_options: '--import=/tmp/x.mjs' }, ['node_options']],
    [
      { NODE_PATH: '/tmp', LD_PRELOAD: '/tmp/x.so', DYLD_INSERT_LIBRARIES: '/tmp/x', PATH: '/tmp' },
      ['NODE_PATH', 'LD_PRELOAD', 'DYLD_INSERT_LIBRARIES', 'PATH'],
    ],
    [{ NODE_EXTRA_CA_CERTS: '/tmp/ca.pem', OPENSSL_CONF: '/tmp/o.cnf' }, ['NODE_EXTRA_CA_CERTS', 'OPENSSL_CONF']],
    [{ CONSUMER_HANDLER_DELAY_MS: '1000', LOG_LEVEL: 'debug' }, []],
  ])('a restart of a service refuses %j: %j', (env, refused) => {
    expect(loaderAffectingKeys(env)).toEqual(refused);
  });
});

describe('the admin token file', () => {
  it('is random, 0600, at least 32 characters, created once and reused', () => {
    const stateDir = tempDir('demo-token');
    const file = adminTokenFile(stateDir);
    const first = readOrCreateTokenFile(file);
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readOrCreateTokenFile(file)).toBe(first);
    expect(readOrCreateTokenFile(adminTokenFile(tempDir('demo-token')))).not.toBe(first);
    // A mode widened since is narrowed again; the token stays.
    chmodSync(file, 0o644);
    expect(readOrCreateTokenFile(file)).toBe(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a file holding a short token rather than using it', () => {
    const file = path.join(tempDir('demo-token'), 'admin-token');
    writeFileSync(file, 'demo-admin-token\n', { mode: 0o600 });
    expect(() => readOrCreateTokenFile(file)).toThrow(/at least 32/);
  });

  it('cannot be given on the command line any more', () => {
    expect(() => parseDemoOptions(['--admin-token', 'demo-admin-token'])).toThrow(/admin-token/);
  });
});

describe('the control server in front of a real service', () => {
  let dir: string;
  let token: string;
  let tokenFile: string;
  let publisher: Service;
  let control: Awaited<ReturnType<typeof startControlServer>>;
  const logged: string[] = [];

  /** node:http, because fetch will not send a Host header of our choosing. */
  const request = (pathname: string, options: { method?: string; host?: string; token?: string; body?: string } = {}) =>
    new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const url = new URL(pathname, control.url);
      const headers: Record<string, string> = { host: options.host ?? url.host, 'content-type': 'application/json' };
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
      const req = http.request(url, { method: options.method ?? 'POST', headers, timeout: 60_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            type: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      req.on('error', reject);
      req.end(options.body);
    });

  beforeAll(async () => {
    dir = tempDir('control');
    // As the demo does it: the token in a 0600 file, handed to the service as a file, not a value.
    tokenFile = adminTokenFile(dir);
    token = readOrCreateTokenFile(tokenFile);
    publisher = await startService('publisher', {
      logDir: dir,
      env: {
        CSR_WEBHOOK_URL: `http://127.0.0.1:9${DEFAULT_WEBHOOK_ENDPOINT}`,
        CSR_WEBHOOK_ENABLED: 'false',
        CSR_WEBHOOK_SECRET: newSecret(),
        PUBLISHER_OUTBOX_PATH: path.join(dir, 'outbox.sqlite'),
        PUBLISHER_ADMIN_TOKEN_FILE: tokenFile,
      },
    });
    control = await startControlServer({
      port: 0,
      token,
      services: { publisher },
      info: { prometheusUrl: '', alertmanagerUrl: '', publisherUrl: publisher.url, gatewayUrl: '', webhookUrl: '' },
      log: (line) => logged.push(line),
    });
  });

  afterAll(async () => {
    await control?.close();
    await publisher?.stop();
  });

  /** A module that, once loaded by any Node process, leaves a file behind. */
  function markerScript(name: string) {
    const marker = path.join(dir, `${name}.ran`);
    const script = path.join(dir, `${name}.mjs`);
    writeFileSync(script, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, String(process.pid));\n`);
    return { marker, script };
  }

  it('refuses the NODE_OPTIONS probe with 400 problem+json, and neither stops nor starts anything', async () => {
    const { marker, script } = markerScript('probe');
    const pid = publisher.pid();
    const res = await request('/control/publisher/start', { token, body: JSON.stringify({ env: { NODE_OPTIONS: `--import=${script}` } }) });
    expect(res.status).toBe(400);
    expect(res.type).toContain('application/problem+json');
    expect(JSON.parse(res.body)).toMatchObject({ status: 400, reason: 'env_not_allowed' });
    // Give a process that was started anyway the time to load the script.
    await new Promise((r) => setTimeout(r, 1500));
    expect(existsSync(marker)).toBe(false);
    expect(publisher.isRunning()).toBe(true);
    expect(publisher.pid()).toBe(pid);
    expect(logged.join('\n')).toContain('400 env_not_allowed');
  });

  it('does restart the service when the request is allowed (so the refusal above is not an accident)', async () => {
    const pid = publisher.pid();
    const res = await request('/control/publisher/start', { token, body: '{}' });
    expect(res.status).toBe(204);
    expect(publisher.isRunning()).toBe(true);
    expect(publisher.pid()).not.toBe(pid);
  });

  it('refuses a request whose Host is not loopback (DNS rebinding), even with the token', async () => {
    const pid = publisher.pid();
    const port = new URL(control.url).port;
    for (const host of [`evil.example:${port}`, `127.0.0.1.evil.example:${port}`]) {
      const res = await request('/control/publisher/kill', { token, host });
      expect(res.status).toBe(421);
      expect(res.type).toContain('application/problem+json');
      expect(JSON.parse(res.body)).toMatchObject({ reason: 'host_not_loopback' });
    }
    expect((await request('/control/info', { method: 'GET', token, host: `evil.example:${port}` })).status).toBe(421);
    expect(publisher.pid()).toBe(pid);
    expect((await request('/control/info', { method: 'GET', token, host: `localhost:${port}` })).status).toBe(200);
  });

  it('answers a wrong or missing token with 401 problem+json', async () => {
    for (const t of [undefined, 'demo-admin-token']) {
      const res = await request('/control/publisher/kill', { token: t });
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body)).toMatchObject({ reason: 'admin_unauthorized' });
    }
    expect(publisher.isRunning()).toBe(true);
  });

  it('answers a service this demo does not run with 404 problem+json', async () => {
    const res = await request('/control/consumer/start', { token, body: '{}' });
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toMatchObject({ reason: 'not_found' });
  });

  it('the service itself never takes a loader variable on a restart, whoever asks', async () => {
    const { marker, script } = markerScript('direct');
    await expect(publisher.start({ NODE_OPTIONS: `--import=${script}` })).rejects.toThrow(/NODE_OPTIONS/);
    expect(existsSync(marker)).toBe(false);
  });

  it('the token reaches the service through a file: not in its command line, not in its environment', () => {
    const pid = publisher.pid()!;
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain(token);
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    expect(environ).not.toContain(token);
    expect(environ).toContain(`PUBLISHER_ADMIN_TOKEN_FILE=${tokenFile}`);
  });
});
