// Two words, kept apart. The transport mode is how the publisher delivers: by webhook (Phase 1),
// straight to JetStream (nats, Phase 2), or both at once while migrating (dual). A transport path is
// one way a single send goes: webhook (through the gateway) or nats. A mode names its paths.
// The mode can change on a running publisher (SIGHUP, see main.ts); each event remembers which
// paths already have it, so a switch neither loses nor repeats a delivery.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { OutboxRow } from './outbox-row.ts';
import type { AttemptResult } from './retry-policy.ts';

export const TRANSPORT_MODES = ['webhook', 'dual', 'nats'] as const;
export type TransportMode = (typeof TRANSPORT_MODES)[number];

export const TRANSPORT_PATHS = ['webhook', 'nats'] as const;
export type TransportPath = (typeof TRANSPORT_PATHS)[number];

/** The paths each mode delivers through. */
export const PATHS_OF_MODE: Record<TransportMode, readonly TransportPath[]> = {
  webhook: ['webhook'],
  dual: ['webhook', 'nats'],
  nats: ['nats'],
};

/** The sender of one path. `attempt` is 1-based; the answer is never thrown. */
export type Transport = {
  path: TransportPath;
  send(row: OutboxRow, attempt: number): Promise<AttemptResult>;
  close?(): Promise<void>;
};

export const transportModeSchema = z.enum(TRANSPORT_MODES);

/** The mode named in a file (one word, as written by an operator or a deploy tool). */
export function readTransportModeFile(file: string): TransportMode {
  const word = readFileSync(file, 'utf8').trim();
  const parsed = transportModeSchema.safeParse(word);
  if (!parsed.success) throw new Error(`${file} says "${word}"; expected one of ${TRANSPORT_MODES.join(', ')}`);
  return parsed.data;
}

export type TransportModeSetting = {
  mode(): TransportMode;
  set(mode: TransportMode): void;
  onChange(listener: (mode: TransportMode, previous: TransportMode) => void): void;
};

export function createTransportModeSetting(initial: TransportMode): TransportModeSetting {
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
