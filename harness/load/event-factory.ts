// Realistic Buddy events for load, chaos and tests: every type in the catalogue, valid by construction.
import { randomUUID } from 'node:crypto';
import type { BuddyEventType } from '../../app/events/buddy-events.ts';
import { newEventId } from '../../app/events/event-id.ts';

export type CreateEventRequest = {
  id: string;
  type: BuddyEventType;
  version: number;
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
};

const COMMENTS = [
  'Great progress this week, thanks',
  'Session was late and a bit difficult',
  'Enjoyed the museum visit',
  'Felt stuck, but my buddy was helpful',
];

export function buddyEvent(sequence: number, at = new Date()): CreateEventRequest {
  // As the Buddy System should make them: time-ordered (UUIDv7), which keeps outbox and inbox inserts cheap.
  const id = newEventId();
  const matchId = randomUUID();
  const iso = at.toISOString();
  const pick = <T>(items: readonly T[]) => items[sequence % items.length]!;
  switch (sequence % 5) {
    case 0:
      return {
        id,
        type: 'buddy.match.created',
        version: 2,
        data: {
          matchId,
          buddyId: randomUUID(),
          participantId: randomUUID(),
          programId: 'newcomers-2026',
          matchedAt: iso,
          matchScore: 0.82,
        },
      };
    case 1:
      return {
        id,
        type: 'buddy.checkin.completed',
        version: 1,
        data: { checkinId: randomUUID(), matchId, mood: 1 + (sequence % 5), notes: pick(COMMENTS), completedAt: iso },
      };
    case 2:
      return {
        id,
        type: 'buddy.event.attended',
        version: 1,
        data: { eventId: randomUUID(), participantId: randomUUID(), attendedAt: iso, durationMinutes: 90 },
      };
    case 3:
      return {
        id,
        type: 'buddy.feedback.submitted',
        version: 1,
        data: {
          feedbackId: randomUUID(),
          matchId,
          fromRole: 'participant',
          rating: 1 + (sequence % 5),
          comment: pick(COMMENTS),
          submittedAt: iso,
        },
      };
    default:
      return { id, type: 'buddy.match.ended', version: 1, data: { matchId, reason: 'completed', endedAt: iso } };
  }
}

/** A complete envelope, as the publisher would send it to the gateway. */
export function buddyEnvelope(sequence: number, at = new Date()) {
  const { id, type, version, data } = buddyEvent(sequence, at);
  return { id, type, version, occurredAt: at.toISOString(), source: 'buddy-system', data, metadata: { correlationId: randomUUID() } };
}
