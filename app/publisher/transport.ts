// How the publisher delivers: by webhook (Phase 1), straight to JetStream (Phase 2), or both at once
// while migrating. The setting can change on a running publisher (SIGHUP, see main.ts); each event
// remembers which transports already have it, so a switch neither loses nor repeats a delivery.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { OutboxRow } from './outbox-row.ts';
import type { AttemptResult } from './retry-policy.ts';

export const TRANSPORT_MODES = ['webhook', 'dual', 'nats'] as const;
export type TransportMode = (typeof TRANSPORT_MODES)[number];
/** A path an event travels: through the gateway's webhook, or straight to JetStream. */
export type TransportName = 'webhook' | 'nats';

export const TRANSPORTS_OF: Record<TransportMode, TransportName[]> = { webhook: ['webhook'], dual: ['webhook', 'nats'], nats: ['nats'] };

/** One way of delivering an outbox row. `attempt` is 1-based; the answer is never thrown. */
export type Transport = {
  name: TransportName;
  send(row: OutboxRow, attempt: number): Promise<AttemptResult>;
  close?(): Promise<void>;
};

export const transportModeSchema = z.enum(TRANSPORT_MODES);

/** The transport named in a file (one word, as written by an operator or a deploy tool). */
export function readTransportFile(file: string): TransportMode {
  const word = readFileSync(file, 'utf8').trim();
  const parsed = transportModeSchema.safeParse(word);
  if (!parsed.success) throw new Error(`${file} says "${word}"; expected one of ${TRANSPORT_MODES.join(', ')}`);
  return parsed.data;
}

export type TransportSetting = { mode(): TransportMode; set(mode: TransportMode): void; onChange(listener: (mode: TransportMode, previous: TransportMode) => void): void };

export function createTransportSetting(initial: TransportMode): TransportSetting {
  let current = initial;
  const listeners: ((mode: TransportMode, previous: TransportMode) => void)[] = [];
  return {
    mode: () => current,
    set(mode) {
      if (mode === current) return;
      const previous = current;
      current = mode;
      for (const l of listeners) l(mode, previous);
    },
    onChange: (l) => void listeners.push(l),
  };
}
