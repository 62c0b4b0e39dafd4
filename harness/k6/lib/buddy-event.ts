// Buddy events for k6 (which runs its own JavaScript runtime, not Node): the same five types as
// harness/load/event-factory.ts, built without Node modules.
import http from 'k6/http';

function uuid(): string {
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => {
    const r = (Math.random() * 16) | 0;
    return (c === 'x' ? r : (r & 0x3) | 0x8).toString(16);
  });
}

export function buddyEvent(sequence: number) {
  const at = new Date().toISOString();
  const matchId = uuid();
  switch (sequence % 5) {
    case 0:
      return {
        id: uuid(),
        type: 'buddy.match.created',
        version: 2,
        data: { matchId, buddyId: uuid(), participantId: uuid(), programId: 'newcomers-2026', matchedAt: at, matchScore: 0.8 },
      };
    case 1:
      return {
        id: uuid(),
        type: 'buddy.checkin.completed',
        version: 1,
        data: { checkinId: uuid(), matchId, mood: 4, notes: 'Good progress this week', completedAt: at },
      };
    case 2:
      return {
        id: uuid(),
        type: 'buddy.event.attended',
        version: 1,
        data: { eventId: uuid(), participantId: uuid(), attendedAt: at, durationMinutes: 90 },
      };
    case 3:
      return {
        id: uuid(),
        type: 'buddy.feedback.submitted',
        version: 1,
        data: { feedbackId: uuid(), matchId, fromRole: 'participant', rating: 5, comment: 'Enjoyed the museum visit', submittedAt: at },
      };
    default:
      return { id: uuid(), type: 'buddy.match.ended', version: 1, data: { matchId, reason: 'completed', endedAt: at } };
  }
}

export const PUBLISHER_URL = __ENV.PUBLISHER_URL ?? 'http://127.0.0.1:3001';
// The publisher's PUBLISHER_API_TOKEN, which compose turns on: read from a file (a compose secret),
// as the services read theirs. open() works only here, in k6's init context.
const API_TOKEN = __ENV.PUBLISHER_API_TOKEN_FILE ? open(__ENV.PUBLISHER_API_TOKEN_FILE).trim() : undefined;
const HEADERS: Record<string, string> = API_TOKEN
  ? { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` }
  : { 'content-type': 'application/json' };

/** One iteration: create an event through the publisher API (202 Accepted). */
export function createEvent(sequence: number): boolean {
  const res = http.post(`${PUBLISHER_URL}/events`, JSON.stringify(buddyEvent(sequence)), {
    headers: HEADERS,
    tags: { name: 'POST /events' },
  });
  return res.status === 202;
}
