// `npm run send -- [--type T] [--direct]`: one valid event of each known type (or of type T) into the
// running demo, printing each event's id and the answer. Through the publisher's API by default (as
// the Buddy System sends); --direct signs it with the demo's secret and posts it to the gateway itself.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BUDDY_EVENT_TYPES } from '../../app/events/buddy-events.ts';
import { DEFAULT_WEBHOOK_ENDPOINT } from '../../app/gateway/config.ts';
import { parseSecrets, signatureHeaders } from '../../app/signature/standard-webhooks.ts';
import { buddyEnvelope } from '../load/event-factory.ts';
import { locateDemo } from '../trace/sources.ts';

const USAGE = `npm run send -- [--type T] [--direct] [--state-dir DIR] [--publisher-port N] [--gateway-port N]

Sends one valid event of each known type (${BUDDY_EVENT_TYPES.join(', ')}),
or only of type T, into the running demo (npm run demo), and prints each event's id and the answer.
  (default)  POST /events to the publisher, which queues it and delivers it to the gateway
  --direct   sign it with the demo's secret (signing-secret in the state directory) and POST it
             straight to the gateway's webhook URL
Then follow one: npm run trace -- <event id>
`;

/** An envelope of each type asked for: buddyEnvelope(i) cycles through every type, valid by construction. */
export function eventsToSend(type: string | undefined, at = new Date()): ReturnType<typeof buddyEnvelope>[] | { unknownType: string } {
  const all = BUDDY_EVENT_TYPES.map((_, i) => buddyEnvelope(i, at));
  if (type === undefined) return all;
  const chosen = all.filter((e) => e.type === type);
  return chosen.length ? chosen : { unknownType: type };
}

export type SendTarget =
  | { via: 'publisher'; publisherUrl: string; apiToken?: string }
  | { via: 'gateway'; webhookUrl: string; signingSecret: string };

export type SendResult = { id: string; type: string; status: number; answer: string } | { id: string; type: string; refused: true };

/** Sends one event; `answer`: the body's gist (status word, or the problem's reason and detail). */
export async function sendEvent(target: SendTarget, event: ReturnType<typeof buddyEnvelope>): Promise<SendResult> {
  let res: Response;
  try {
    if (target.via === 'publisher') {
      // The publisher fills in occurredAt, source and metadata, as for any application.
      const { id, type, version, data } = event;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (target.apiToken) headers.authorization = `Bearer ${target.apiToken}`;
      res = await fetch(`${target.publisherUrl}/events`, { method: 'POST', headers, body: JSON.stringify({ id, type, version, data }) });
    } else {
      const body = JSON.stringify(event);
      const signed = signatureHeaders(parseSecrets(target.signingSecret), event.id, Math.floor(Date.now() / 1000), body);
      res = await fetch(target.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...signed }, body });
    }
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return { id: event.id, type: event.type, refused: true };
    throw err;
  }
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  const answer =
    res.status < 300
      ? [
          json.status,
          json.duplicate ? 'duplicate' : undefined,
          json.sequence !== undefined ? `stream sequence ${json.sequence}` : undefined,
        ]
          .filter(Boolean)
          .join(', ')
      : `${json.reason ?? ''}${json.detail ? `: ${json.detail}` : ''}`;
  return { id: event.id, type: event.type, status: res.status, answer };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      type: { type: 'string' },
      direct: { type: 'boolean', default: false },
      'state-dir': { type: 'string' },
      'publisher-port': { type: 'string' },
      'gateway-port': { type: 'string' },
      topology: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const demo = locateDemo({
    'state-dir': values['state-dir'],
    'publisher-port': values['publisher-port'],
    'gateway-port': values['gateway-port'],
    topology: values.topology,
  });
  const events = eventsToSend(values.type);
  if (!Array.isArray(events)) {
    console.error(`send: unknown type "${events.unknownType}"; the known types are ${BUDDY_EVENT_TYPES.join(', ')}`);
    return 2;
  }
  const notRunning = (url: string) => `No demo answers at ${url}: start it with npm run demo (then npm run send again).`;
  let target: SendTarget;
  if (values.direct) {
    const secretFile = path.join(demo.stateDir, 'signing-secret');
    if (!existsSync(secretFile)) {
      console.error(`No signing secret at ${secretFile}: start the demo with npm run demo (it creates one).`);
      return 1;
    }
    target = {
      via: 'gateway',
      webhookUrl: `${demo.gatewayUrls[0]}${DEFAULT_WEBHOOK_ENDPOINT}`,
      signingSecret: readFileSync(secretFile, 'utf8').trim(),
    };
  } else {
    // Where the stack keeps the publisher's API token when it sets one (harness/stack/stack.ts).
    const apiTokenFile = path.join(demo.stateDir, 'secrets', 'publisher-api-token');
    const apiToken = existsSync(apiTokenFile) ? readFileSync(apiTokenFile, 'utf8').trim() : undefined;
    target = { via: 'publisher', publisherUrl: demo.publisherUrl, apiToken };
  }
  const where = target.via === 'publisher' ? `${target.publisherUrl}/events` : target.webhookUrl;
  let failed = 0;
  for (const [i, event] of events.entries()) {
    const result = await sendEvent(target, event);
    if ('refused' in result) {
      console.error(notRunning(where));
      return 1;
    }
    if (i === 0) console.log(`POST ${where}`);
    if (result.status >= 300) failed++;
    console.log(`${result.id}  ${result.type.padEnd(24)}  ${result.status} ${result.answer}`);
  }
  console.log(`follow one: npm run trace -- ${events[0]!.id}`);
  return failed ? 1 : 0;
}

if (import.meta.main) {
  try {
    process.exitCode = await main();
  } catch (err) {
    console.error(`send: ${(err as Error).message}`);
    process.exitCode = 2;
  }
}
