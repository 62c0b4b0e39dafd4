// What a gathered trace says: one line per place the event passes (publisher, outbox, gateway,
// JetStream, each consumer), and one verdict saying where the event is. Pure.
import { CONSUMER_NAMES } from '../../app/consumer/handlers/index.ts';
import type { EventTrace, GatewayRecord, Part } from './trace.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function unknownOr<T>(part: Part<T>, unknown: string, known: (value: T) => string): string {
  if (!part.ok) return `could not look: ${part.reason}`;
  return part.value === null ? unknown : known(part.value);
}

function gatewayLine(r: GatewayRecord): string {
  const requests = r.requests > 1 ? `; ${plural(r.requests, 'request')}, the last answered ${r.status} ${r.outcome}` : '';
  if (r.published) {
    const sequence = r.sequence === null ? 'no sequence (acknowledged before publishing)' : `stream sequence ${r.sequence}`;
    return `accepted at ${r.publishedAt}: ${sequence}, subject ${r.subject}${r.duplicate ? ', sent again later (duplicate)' : ''}${requests}`;
  }
  return `refused at ${r.at}: ${r.status} ${r.reason ?? r.outcome}${r.requests > 1 ? ` (${plural(r.requests, 'request')})` : ''}`;
}

/** Where the event is, in one sentence: the furthest place that has it. */
export function whereIs(trace: EventTrace): string {
  const inbox = trace.inbox.ok ? trace.inbox.value : null;
  const handled = new Set(inbox?.processed.map((r) => r.consumer) ?? []);
  const consumerDead = inbox?.deadLettered ?? [];
  if (handled.size > 0 || consumerDead.length > 0) {
    const missing = CONSUMER_NAMES.filter((c) => !handled.has(c));
    if (missing.length === 0) return 'handled by every consumer';
    const dead = consumerDead.map((r) => `dead-lettered by ${r.consumer} (${r.reason})`);
    const waiting = missing.filter((c) => !consumerDead.some((r) => r.consumer === c));
    return [
      handled.size ? `handled by ${[...handled].join(', ')}` : undefined,
      ...dead,
      waiting.length ? `not yet by ${waiting.join(', ')}` : undefined,
    ]
      .filter(Boolean)
      .join('; ');
  }
  const published = trace.gateways.find((g) => g.record.ok && g.record.value?.published);
  if (published?.record.ok) return `in JetStream (stream sequence ${published.record.value!.sequence}), not yet handled by any consumer`;
  const publisher = trace.publisher.ok ? trace.publisher.value : null;
  const file = trace.outboxFile.ok ? trace.outboxFile.value : null;
  const deadLetter = publisher?.deadLetter ?? (file?.deadLetter ? { reason: file.deadLetter.reason } : null);
  if (deadLetter) return `dead-lettered by the publisher (${deadLetter.reason}): npm run dead-letters -- show ${trace.id}`;
  if (publisher?.state === 'delivered') return 'delivered by the publisher; no gateway or consumer here knows it (yet)';
  const refused = trace.gateways.find((g) => g.record.ok && g.record.value && !g.record.value.published);
  if (publisher?.state === 'retrying' || publisher?.state === 'queued' || file?.outbox) {
    const why = refused?.record.ok ? `, refused by the gateway (${refused.record.value!.reason})` : '';
    return `waiting in the publisher's outbox${why}`;
  }
  if (refused?.record.ok) return `refused by the gateway (${refused.record.value!.reason})`;
  return 'no part of the bus here knows this event';
}

export function renderTrace(trace: EventTrace): string[] {
  const lines = [`event ${trace.id}`];
  const row = (label: string, text: string) => lines.push(`  ${label.padEnd(11)} ${text}`);

  row(
    'publisher',
    unknownOr(trace.publisher, 'does not know it (not handled since it started, and no dead letter)', (s) => {
      if (s.deadLetter) {
        const d = s.deadLetter;
        return `dead-lettered at ${d.deadLetteredAt}: ${d.reason}${d.detail ? ` (${d.detail})` : ''}, after ${plural(d.attempts, 'attempt')}, last status ${d.lastStatus ?? 'none'}`;
      }
      const r = s.recent!;
      if (r.state === 'delivered') return `delivered at ${r.at} (attempts ${r.attempts}) via ${r.paths.join(' and ')}, status ${r.status}`;
      if (r.state === 'retrying')
        return `retrying: ${plural(r.attempts, 'attempt')} charged, last ${r.reason}${r.status === null ? '' : ` (${r.status})`}, next at ${r.nextAttemptAt}`;
      if (r.state === 'queued') return `queued at ${r.at}${r.replayed ? ' (replayed)' : ''}, not sent yet`;
      return `was dead-lettered at ${r.at} (${r.reason}) and has been replayed since`;
    }),
  );
  row(
    'outbox',
    unknownOr(trace.outboxFile, 'not in the outbox file', ({ path, outbox, deadLetter }) => {
      if (outbox) {
        const next = outbox.claimed_by ? `being sent by ${outbox.claimed_by}` : `next attempt at ${iso(outbox.next_attempt_at)}`;
        const last =
          outbox.last_status !== null || outbox.last_error ? `, last ${outbox.last_status ?? ''} ${outbox.last_error ?? ''}`.trimEnd() : '';
        return `waiting in ${path}: ${plural(outbox.attempts, 'attempt')}, ${next}${last}`;
      }
      if (deadLetter) return `a dead letter in ${path}: ${deadLetter.reason}, at ${iso(deadLetter.dead_lettered_at)}`;
      return `not in ${path} (delivered, or never queued there)`;
    }),
  );
  if (trace.gateways.length === 0) row('gateway', 'could not look: no gateway given');
  trace.gateways.forEach(({ url, record }, i) => {
    const label = trace.gateways.length > 1 ? `gateway ${i + 1}` : 'gateway';
    row(
      label,
      `${unknownOr(record, 'no answer for it among its recent ones', gatewayLine)}${trace.gateways.length > 1 ? ` (${url})` : ''}`,
    );
  });

  const published = trace.gateways.flatMap((g) => (g.record.ok && g.record.value?.published ? [g.record.value] : []))[0];
  const inbox = trace.inbox.ok ? trace.inbox.value : null;
  const inboxSequences = [...new Set([...(inbox?.processed ?? []), ...(inbox?.deadLettered ?? [])].map((r) => r.stream_seq))];
  if (published?.sequence != null || inboxSequences.length) {
    const sequence = published?.sequence ?? inboxSequences[0];
    const subject = published?.subject ?? inbox?.deadLettered[0]?.subject;
    const differs = inboxSequences.filter((s) => s !== sequence);
    row(
      'jetstream',
      `stream sequence ${sequence}${subject ? `, subject ${subject}` : ''}${differs.length ? ` (the inbox also names ${differs.join(', ')})` : ''}`,
    );
  } else row('jetstream', 'no sequence known: no gateway here published it, and no consumer took it');

  for (const consumer of CONSUMER_NAMES) {
    row(
      consumer,
      unknownOr(trace.inbox, '', ({ processed, deadLettered }) => {
        const handled = processed.find((r) => r.consumer === consumer);
        if (handled)
          return `handled at ${iso(handled.handled_at)} (delivery ${handled.delivery_count}, stream sequence ${handled.stream_seq})`;
        const dead = deadLettered.find((r) => r.consumer === consumer);
        if (dead) return `dead-lettered at ${iso(dead.dead_lettered_at)}: ${dead.reason}${dead.detail ? ` (${dead.detail})` : ''}`;
        return 'not in its inbox (yet)';
      }),
    );
  }
  lines.push(`  → ${whereIs(trace)}`);
  return lines;
}
