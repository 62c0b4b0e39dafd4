// `npm run demo` options: every port configurable, with the defaults the runbooks assume.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../stack/service.ts';

/** Where `npm run drill` and `npm run demo:restart` find the demo's control API unless told otherwise. */
export const DEFAULT_CONTROL_URL = 'http://127.0.0.1:9301';

/** Every port option, in a fixed order. */
export const PORT_OPTIONS = [
  'nats-port',
  'nats-monitor-port',
  'gateway-port',
  'publisher-port',
  'consumer-port',
  'prometheus-port',
  'alertmanager-port',
  'receiver-port',
  'console-port',
  'control-port',
] as const;

/**
 * A whole demo moved to free ports for a test: option i at base + 100 i (a cluster takes N..N+2 and
 * N+10). Tests pass a base from 10,000 to 14,000: below both the kernel's ephemeral ports and the
 * range freePort() hands out (harness/stack/ports.ts).
 */
export function demoPortsAt(base: number): { args: string[]; port: (option: (typeof PORT_OPTIONS)[number]) => number } {
  const port = (option: (typeof PORT_OPTIONS)[number]) => base + PORT_OPTIONS.indexOf(option) * 100;
  return { args: PORT_OPTIONS.flatMap((option) => [`--${option}`, String(port(option))]), port };
}

export const HELP = `npm run demo -- [options]

Runs the whole event bus on this machine, without Docker: nats-server (JetStream), the CSR gateway,
the Q2Q AI / Journey / Safety consumers, the Buddy publisher, Prometheus (all alert and SLO rules),
Alertmanager (routing to a local receiver that prints notifications), the console, and a steady
load. Ctrl-C stops everything.

Options:
  --topology single|cluster   single: one NATS node, one gateway (default).
                              cluster: three NATS nodes (stream at 3 replicas) and two gateways.
  --rate N                    events per second sent to the publisher (default 50; 0 for none)
  --nats-port N               NATS client port (default 4222; cluster: N, N+1, N+2)
  --nats-monitor-port N       NATS monitoring port (default 8222; cluster: N, N+1, N+2)
  --gateway-port N            gateway port (default 3000; cluster: N and N+10)
  --publisher-port N          publisher port (default 3001)
  --consumer-port N           consumer port (default 3002)
  --prometheus-port N         Prometheus port (default 9090)
  --alertmanager-port N       Alertmanager port (default 9093)
  --receiver-port N           local alert receiver port (default 9095)
  --console-port N            console port (default 9300)
  --control-port N            the demo's control API for npm run drill (default 9301)
  --scrape-interval D         Prometheus scrape interval (default 10s, as in production)
  --state-dir DIR             where every process keeps its data and logs (default .demo)
                              Its admin-token file (0600, random, created on the first run) holds
                              the token of the gateway fault switch, the publisher dead-letter
                              API and the control API: TOKEN=$(cat .demo/admin-token)
  --fresh                     wipe the state directory first
  -h, --help                  this text
`;

export type DemoOptions = {
  topology: 'single' | 'cluster';
  rate: number;
  ports: {
    nats: number[];
    natsMonitor: number[];
    gateway: number[];
    publisher: number;
    consumer: number;
    prometheus: number;
    alertmanager: number;
    receiver: number;
    console: number;
    control: number;
  };
  scrapeInterval: string;
  stateDir: string;
  fresh: boolean;
};

export function parseDemoOptions(argv: string[]): DemoOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      topology: { type: 'string', default: 'single' },
      rate: { type: 'string', default: '50' },
      'nats-port': { type: 'string', default: '4222' },
      'nats-monitor-port': { type: 'string', default: '8222' },
      'gateway-port': { type: 'string', default: '3000' },
      'publisher-port': { type: 'string', default: '3001' },
      'consumer-port': { type: 'string', default: '3002' },
      'prometheus-port': { type: 'string', default: '9090' },
      'alertmanager-port': { type: 'string', default: '9093' },
      'receiver-port': { type: 'string', default: '9095' },
      'console-port': { type: 'string', default: '9300' },
      'control-port': { type: 'string', default: '9301' },
      'scrape-interval': { type: 'string', default: '10s' },
      'state-dir': { type: 'string', default: '.demo' },
      fresh: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const port = (name: string, value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`--${name} must be a port number, got "${value}"`);
    return n;
  };
  if (values.topology !== 'single' && values.topology !== 'cluster')
    throw new Error(`--topology must be single or cluster, got "${values.topology}"`);
  const rate = Number(values.rate);
  if (!(rate >= 0)) throw new Error(`--rate must be a number of events per second, got "${values.rate}"`);
  if (!/^\d+(ms|s|m)$/.test(values['scrape-interval']))
    throw new Error(`--scrape-interval must look like 15s, got "${values['scrape-interval']}"`);
  const cluster = values.topology === 'cluster';
  const series = (base: number, count: number, step = 1) => Array.from({ length: count }, (_, i) => base + i * step);
  return {
    topology: values.topology,
    rate,
    ports: {
      nats: series(port('nats-port', values['nats-port']), cluster ? 3 : 1),
      natsMonitor: series(port('nats-monitor-port', values['nats-monitor-port']), cluster ? 3 : 1),
      gateway: series(port('gateway-port', values['gateway-port']), cluster ? 2 : 1, 10),
      publisher: port('publisher-port', values['publisher-port']),
      consumer: port('consumer-port', values['consumer-port']),
      prometheus: port('prometheus-port', values['prometheus-port']),
      alertmanager: port('alertmanager-port', values['alertmanager-port']),
      receiver: port('receiver-port', values['receiver-port']),
      console: port('console-port', values['console-port']),
      control: port('control-port', values['control-port']),
    },
    scrapeInterval: values['scrape-interval'],
    stateDir: path.resolve(REPO_ROOT, values['state-dir']),
    fresh: values.fresh,
  };
}

/** The demo's admin token: one per state directory, never on a command line (drills read it here). */
export const adminTokenFile = (stateDir: string) => path.join(stateDir, 'admin-token');

/** Every port the demo will listen on, with the option that moves it. */
export function portsInUse(options: DemoOptions): { port: number; what: string; option: string }[] {
  const p = options.ports;
  return [
    ...p.nats.map((port, i) => ({ port, what: `NATS${p.nats.length > 1 ? ` node ${i + 1}` : ''}`, option: '--nats-port' })),
    ...p.natsMonitor.map((port, i) => ({
      port,
      what: `NATS monitoring${p.natsMonitor.length > 1 ? ` node ${i + 1}` : ''}`,
      option: '--nats-monitor-port',
    })),
    ...p.gateway.map((port, i) => ({ port, what: `gateway${p.gateway.length > 1 ? ` ${i + 1}` : ''}`, option: '--gateway-port' })),
    { port: p.publisher, what: 'publisher', option: '--publisher-port' },
    { port: p.consumer, what: 'consumer', option: '--consumer-port' },
    { port: p.prometheus, what: 'Prometheus', option: '--prometheus-port' },
    { port: p.alertmanager, what: 'Alertmanager', option: '--alertmanager-port' },
    { port: p.receiver, what: 'alert receiver', option: '--receiver-port' },
    { port: p.console, what: 'console', option: '--console-port' },
    { port: p.control, what: 'control API', option: '--control-port' },
  ];
}
