// The first event a new user sends by hand: the README and the demo banner show this request, and the
// demo test sends it as the README spells it.

/** A valid buddy.match.created v2 request for the publisher's POST /events; the publisher assigns the id. */
export const FIRST_EVENT_BODY = {
  type: 'buddy.match.created',
  version: 2,
  data: {
    matchId: '6f1c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b',
    buddyId: '0b9a8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d',
    participantId: '5e4d3c2b-1a0f-4e9d-8c7b-6a5f4e3d2c1b',
    programId: 'newcomers-2026',
    matchedAt: '2026-12-01T09:30:00Z',
    matchScore: 0.82,
  },
};

/** The copy-paste command: POST one event to the publisher and print its answer (with the event id). */
export function firstEventCurl(publisherUrl: string): string {
  return `curl -s -X POST ${publisherUrl}/events -H 'content-type: application/json' -d '${JSON.stringify(FIRST_EVENT_BODY)}'`;
}
