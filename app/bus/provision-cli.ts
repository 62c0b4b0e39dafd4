// `npm run nats:provision`: creates or updates the event stream and the durable consumers, as the
// provisioner identity, then exits (0 when done). The demo, the test stack and compose run it
// before the services start; the services only check what it made.
import { connect } from '@nats-io/transport-node';
import { loadConfigOrExit } from '../config/env.ts';
import { createLogger } from '../telemetry/logger.ts';
import { accessOptions, missingProtection } from './connection.ts';
import { provisionEventBus } from './provision.ts';
import { parseProvisionConfig } from './provision-config.ts';
import { retryUntilDeadline } from './start-up-retry.ts';

const config = loadConfigOrExit('nats:provision', () => parseProvisionConfig(process.env));
const logger = createLogger('nats-provision');
const missing = missingProtection(config.nats);
if (missing.length)
  logger.warn(
    { missing },
    `${missing.join(' and ')} not set: provisioning as an anonymous or unverified client, which only a development nats-server should accept`,
  );

try {
  const outcome = await retryUntilDeadline(
    'provision the event bus',
    async () => {
      const nc = await connect({ ...accessOptions(config.nats, 'provisioner'), name: 'nats-provision', timeout: 5000 });
      try {
        return await provisionEventBus(nc, config.plan);
      } finally {
        await nc.close();
      }
    },
    { timeoutMs: config.timeoutMs, logger },
  );
  logger.info(
    {
      stream_name: config.plan.stream.name,
      ...outcome,
      max_bytes: config.plan.stream.maxBytes,
      max_age_days: config.plan.stream.maxAgeDays,
      replicas: config.plan.stream.replicas,
    },
    'event bus provisioned',
  );
} catch (err) {
  logger.error({ err }, 'provisioning the event bus failed');
  process.stderr.write(`nats:provision: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
