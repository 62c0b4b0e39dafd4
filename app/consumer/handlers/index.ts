import type { EventHandler } from './handler.ts';
import { journeyHandler } from './journey.ts';
import { q2qAiHandler } from './q2q-ai.ts';
import { createSafetyHandler } from './safety.ts';

/** The three downstream consumers; each gets every event through its own durable consumer. */
export function createHandlers(options: { safetyWords: readonly string[] }): EventHandler[] {
  return [q2qAiHandler, journeyHandler, createSafetyHandler(options.safetyWords)];
}

export const CONSUMER_NAMES = ['q2q-ai', 'journey', 'safety'] as const;
