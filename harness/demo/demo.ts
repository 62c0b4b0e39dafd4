// `npm run demo`: the whole event bus on this machine, without Docker. See options.ts for the flags.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensurePrivateDirectory } from '../../app/storage/private-files.ts';
import { startConsole } from '../../dashboards/console/server.ts';
import { buddyEvent } from '../load/event-factory.ts';
import { runOpenModel } from '../load/open-model.ts';
import { createEvent } from '../load/publisher-client.ts';
import { startObservedStack } from '../stack/observed-stack.ts';
import { isPortInUse } from '../stack/ports.ts';
import { readOrCreateTokenFile } from '../stack/token-file.ts';
import { firstEventCurl } from './first-event.ts';
import { adminTokenFile, HELP, parseDemoOptions, portsInUse } from './options.ts';
import { startControlServer } from './control.ts';
import { startStatusLine, type StatusLine } from './status-line.ts';

let options: ReturnType<typeof parseDemoOptions>;
try {
  options = parseDemoOptions(process.argv.slice(2));
} catch (err) {
  console.error(`demo: ${(err as Error).message} (npm run demo -- --help lists the options)`);
  process.exit(2);
}
if (options === 'help') {
  process.stdout.write(HELP);
  process.exit(0);
}
const startedAt = Date.now();

for (const { port, what, option } of portsInUse(options)) {
  if (await isPortInUse(port)) {
    console.error(
      `Port ${port} (${what}) is already in use: stop whatever holds it, or move it with npm run demo -- ${option} <free port>.`,
    );
    process.exit(1);
  }
}
if (options.fresh) rmSync(options.stateDir, { recursive: true, force: true });
// Logs, the outbox, the inbox and the NATS store all hold event bodies: one private directory covers them.
ensurePrivateDirectory(options.stateDir);

// One signing secret per state directory, so a second run verifies what the first one queued.
const secretFile = path.join(options.stateDir, 'signing-secret');
if (!existsSync(secretFile)) writeFileSync(secretFile, `whsec_${randomBytes(32).toString('base64')}`, { mode: 0o600 });
const signingSecret = readFileSync(secretFile, 'utf8').trim();
// One admin token per state directory, random: the services and `npm run drill` read it from this
// 0600 file, so it is on no command line and in no environment listing of the demo itself.
const tokenFile = adminTokenFile(options.stateDir);
const adminToken = readOrCreateTokenFile(tokenFile);

// The publisher's transport mode (webhook | dual | nats) lives in a file, so the Phase 2 cutover can be
// rehearsed here: write the file, send the publisher SIGHUP (runbooks/migration/cutover.md).
const transportFile = path.join(options.stateDir, 'publisher-transport');
if (!existsSync(transportFile)) writeFileSync(transportFile, 'webhook\n');
const shown = path.relative(process.cwd(), options.stateDir) || options.stateDir;
console.log(`Starting the ${options.topology} topology; state in ${shown} ...`);
const { ports } = options;
let status: StatusLine | undefined;
const observed = await startObservedStack({
  dir: options.stateDir,
  topology: options.topology,
  signingSecret,
  natsPorts: ports.nats,
  natsMonitorPorts: ports.natsMonitor,
  gatewayPorts: ports.gateway,
  ports: { publisher: ports.publisher, consumer: ports.consumer },
  gatewayEnv: { GATEWAY_ADMIN_TOKEN_FILE: tokenFile },
  publisherEnv: { PUBLISHER_ADMIN_TOKEN_FILE: tokenFile, PUBLISHER_TRANSPORT_FILE: transportFile },
  receiverPort: ports.receiver,
  alertmanagerPort: ports.alertmanager,
  prometheusPort: ports.prometheus,
  scrapeInterval: options.scrapeInterval,
  receiverLog: (line) => (status ? status.log(line) : console.log(line)),
});
const { stack, receiver, alertmanager, prometheus } = observed;
const consoleServer = await startConsole({ prometheusUrl: prometheus.url, alertmanagerUrl: alertmanager.url, port: ports.console });
const control = await startControlServer({
  port: ports.control,
  token: adminToken,
  services: { gateway: stack.gateway, publisher: stack.publisher, consumer: stack.consumer, nats: stack.nats },
  trace: { gatewayUrls: stack.gateways.map((g) => g.url), outboxPath: stack.outboxPath, inboxPath: stack.consumerDbPath },
  log: (line) => (status ? status.log(line) : console.log(line)),
  info: {
    prometheusUrl: prometheus.url,
    alertmanagerUrl: alertmanager.url,
    publisherUrl: stack.publisher.url,
    gatewayUrl: stack.gateway.url,
    webhookUrl: stack.webhookUrl,
  },
});

console.log(`
  Console          ${consoleServer.url}   dashboards, firing alerts with runbooks, SLO status
  Prometheus       ${prometheus.url}   targets, the alert and recording rules of alerts/ and slo/
  Alertmanager     ${alertmanager.url}   routing and inhibition (amtool alert query --alertmanager.url=${alertmanager.url})
  Alert receiver   ${receiver.url}/notifications   what would have gone to Slack and PagerDuty (also printed below)
  Publisher API    ${stack.publisher.url}/events   POST events here (Buddy System); health: ${stack.publisher.url}/health
  Gateway          ${stack.webhookUrls.join('  ')}   (CSR Platform); health: ${stack.gateway.url}/health/all
  Consumers        ${stack.consumer.url}/health   q2q-ai, journey, safety
  NATS             ${stack.natsNodes.map((n) => n.url).join(' ')}   monitoring: ${stack.natsNodes.map((n) => n.monitorUrl).join(' ')}
                   TLS and one nkey per service: CA and seeds in ${path.relative(process.cwd(), stack.natsCredentials.dir) || stack.natsCredentials.dir}
  Admin token      TOKEN=$(cat ${path.relative(process.cwd(), tokenFile) || tokenFile})   gateway fault switch (PUT /admin/faults),
                   publisher dead-letter API, and the demo control API at ${control.url} (npm run drill -- <AlertName>)
  First event      ${firstEventCurl(stack.publisher.url)}
                   or npm run send (one event of each type; --direct signs one straight to the gateway),
                   then npm run trace -- <event id> follows it to the three consumers
  Signatures       the gateway checks every webhook's Standard Webhooks signature (webhook-id, -timestamp,
                   -signature); the demo's secret is in ${path.relative(process.cwd(), secretFile) || secretFile}
  Restart one      npm run demo:restart -- <gateway|publisher|consumer|nats>: with the demo's settings, inside it
  Transport mode   ${transportFile} (webhook | dual | nats; send the publisher SIGHUP after editing)
  Logs and data    ${options.stateDir}
Sending ${options.rate} events/s. Ctrl-C stops everything.
`);

const abort = new AbortController();
const counters = { acknowledged: 0, failed: 0 };
const load =
  options.rate > 0
    ? runOpenModel({
        stages: [{ ratePerSecond: options.rate, durationMs: 7 * 24 * 3600 * 1000 }],
        maxInFlight: 500,
        signal: abort.signal,
        iteration: async (i) => {
          const result = await createEvent(stack.publisher, buddyEvent(i));
          counters[result.ok ? 'acknowledged' : 'failed']++;
          return result;
        },
      })
    : Promise.resolve();

status = startStatusLine({ stack, prometheusUrl: prometheus.url, alertmanagerUrl: alertmanager.url, counters, startedAt });

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  status?.stop();
  console.log('\nStopping: load, console, Prometheus, Alertmanager, publisher, gateway, consumers, nats-server ...');
  abort.abort();
  await load;
  await consoleServer.close();
  await control.close();
  await observed.stop();
  console.log(`Stopped. State kept in ${shown} (delete it, or pass --fresh, to start clean).`);
  process.exit(0);
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
