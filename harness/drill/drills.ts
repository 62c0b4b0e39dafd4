// One drill per alert: a fault through a mechanism the stack really has, and its mitigation.
import { buddyEnvelope } from '../load/event-factory.ts';
import type { DrillTarget } from './target.ts';

export type Drill = {
  alert: string;
  fault: string;
  mitigation: string;
  inject(t: DrillTarget): Promise<void>;
  mitigate(t: DrillTarget): Promise<void>;
};

async function faults(t: DrillTarget, body: object | null) {
  const res = await fetch(`${t.gatewayUrl}/admin/faults`, {
    method: body ? 'PUT' : 'DELETE',
    headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`gateway fault switch answered ${res.status} (is GATEWAY_ADMIN_TOKEN set to the drill's token?)`);
}

async function replayDeadLetters(t: DrillTarget) {
  const res = await fetch(`${t.publisherUrl}/admin/dead-letters/replay`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.adminToken}` },
  });
  if (!res.ok) throw new Error(`dead-letter replay answered ${res.status}`);
}

/** Background work a drill starts and its mitigation stops (e.g. a sender of badly signed webhooks). */
function repeating(everyMs: number, work: () => Promise<unknown>) {
  let timer: NodeJS.Timeout | undefined;
  return {
    start: () => {
      timer = setInterval(() => void work().catch(() => undefined), everyMs);
    },
    stop: () => clearInterval(timer),
  };
}

const badSignatures = (t: DrillTarget) =>
  repeating(250, async () => {
    const event = buddyEnvelope(3);
    const res = await fetch(t.webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': event.id,
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': `v1,${Buffer.alloc(32, 1).toString('base64')}`,
      },
      body: JSON.stringify(event),
    });
    await res.arrayBuffer();
  });

// An operator replays dead letters as they appear during these drills, so the critical dead-letter
// alert does not (correctly) inhibit the publisher warnings the drill is about.
let replayer: ReturnType<typeof repeating> | undefined;
let signer: ReturnType<typeof repeating> | undefined;

/** A share of webhooks failing with 500, while dead letters are replayed as they appear. */
function failingGatewayDrill(alert: string, errorRate: number): Drill {
  return {
    alert,
    fault: `gateway fault switch: ${errorRate * 100} % of webhooks answered 500 (dead letters replayed as they appear)`,
    mitigation: 'clear the fault switch, replay dead letters',
    inject: async (t) => {
      replayer = repeating(5000, () => replayDeadLetters(t));
      replayer.start();
      await faults(t, { errorRate });
    },
    mitigate: async (t) => {
      await faults(t, null);
      replayer?.stop();
      await replayDeadLetters(t);
    },
  };
}

/** NATS back, a moment for the services to reconnect, then the dead letters of the outage replayed. */
async function restartNatsAndReplay(t: DrillTarget) {
  await t.start('nats');
  await new Promise((r) => setTimeout(r, 3000));
  await replayDeadLetters(t);
}

export const DRILLS: Drill[] = [
  {
    alert: 'WebhookGatewayDown',
    fault: 'SIGKILL the gateway',
    mitigation: 'start the gateway again, once the page has gone out',
    inject: (t) => t.kill('gateway'),
    // Alertmanager holds a new page for the critical group_wait (10 s); a gateway back sooner would
    // resolve it unsent, and the drill would prove the alert but not the page.
    mitigate: async (t) => {
      await new Promise((r) => setTimeout(r, 20_000 / t.timeScale));
      await t.start('gateway');
    },
  },
  {
    alert: 'WebhookGatewayErrorRateHigh',
    fault: 'gateway fault switch: 10 % of webhooks answered 500',
    mitigation: 'clear the fault switch',
    inject: (t) => faults(t, { errorRate: 0.1 }),
    mitigate: (t) => faults(t, null),
  },
  {
    alert: 'WebhookProcessingLatencyHigh',
    fault: 'gateway fault switch: 1.6 s added before publishing',
    mitigation: 'clear the fault switch',
    inject: (t) => faults(t, { delayMs: 1600 }),
    mitigate: (t) => faults(t, null),
  },
  {
    alert: 'WebhookEventLagHigh',
    fault: 'slow consumer: restart the consumers with CONSUMER_HANDLER_DELAY_MS=1000',
    mitigation: 'restart the consumers without the delay',
    inject: (t) => t.start('consumer', { CONSUMER_HANDLER_DELAY_MS: '1000' }),
    mitigate: (t) => t.start('consumer'),
  },
  {
    alert: 'EventBusPublishErrors',
    fault: 'stop nats-server',
    mitigation: 'start nats-server, then replay any dead letters',
    inject: (t) => t.kill('nats'),
    mitigate: restartNatsAndReplay,
  },
  {
    alert: 'WebhookSignatureFailures',
    fault: 'four badly signed webhooks a second straight at the gateway',
    mitigation: 'stop the sender (in production: align the secrets)',
    inject: async (t) => {
      signer = badSignatures(t);
      signer.start();
    },
    mitigate: async () => signer?.stop(),
  },
  failingGatewayDrill('WebhookPublisherDeliveryErrors', 0.1),
  failingGatewayDrill('WebhookPublisherRetriesHigh', 0.3),
  {
    alert: 'WebhookPublisherQueueBacklog',
    fault: 'gateway fault switch: 4 s added before publishing (delivery slower than creation)',
    mitigation: 'clear the fault switch; the outbox drains',
    inject: (t) => faults(t, { delayMs: 4000 }),
    mitigate: (t) => faults(t, null),
  },
  {
    alert: 'WebhookDeadLetterQueueNotEmpty',
    fault: 'gateway fault switch: 5 % of webhooks rejected with 422 (not retryable), left unreplayed for 15 min',
    mitigation: 'clear the fault switch, replay all dead letters',
    inject: (t) => faults(t, { rejectRate: 0.05 }),
    mitigate: async (t) => {
      await faults(t, null);
      await replayDeadLetters(t);
    },
  },
  {
    alert: 'WebhookDeadLettersIncreasing',
    fault: 'gateway fault switch: 5 % of webhooks rejected with 422 (not retryable)',
    mitigation: 'clear the fault switch, replay all dead letters (resolves 5 min after the last new one)',
    inject: (t) => faults(t, { rejectRate: 0.05 }),
    mitigate: async (t) => {
      await faults(t, null);
      await replayDeadLetters(t);
    },
  },
  {
    alert: 'WebhookPublisherDown',
    fault: 'SIGKILL the publisher',
    mitigation: 'start the publisher again',
    inject: (t) => t.kill('publisher'),
    mitigate: (t) => t.start('publisher'),
  },
  {
    alert: 'EventConsumerDown',
    fault: 'SIGKILL the consumer process',
    mitigation: 'start the consumers again',
    inject: (t) => t.kill('consumer'),
    mitigate: (t) => t.start('consumer'),
  },
  {
    // Needs `npm run demo -- --topology cluster`: the control API kills the first of two gateways,
    // and the second keeps serving. With one gateway, WebhookGatewayDown fires instead.
    alert: 'EventBusInstanceDown',
    fault: 'SIGKILL one of the two gateways (cluster topology)',
    mitigation: 'start that gateway again',
    inject: (t) => t.kill('gateway'),
    mitigate: (t) => t.start('gateway'),
  },
  {
    alert: 'EventBusNatsDisconnected',
    fault: 'stop nats-server (gateway and consumers stay up, reconnecting)',
    mitigation: 'start nats-server, then replay any dead letters',
    inject: (t) => t.kill('nats'),
    mitigate: restartNatsAndReplay,
  },
  {
    alert: 'EventConsumerStalled',
    fault: 'hung handlers: restart the consumers with CONSUMER_HANDLER_DELAY_MS=99999 (100 s per message)',
    mitigation: 'restart the consumers without the delay',
    inject: (t) => t.start('consumer', { CONSUMER_HANDLER_DELAY_MS: '99999' }),
    mitigate: (t) => t.start('consumer'),
  },
];
