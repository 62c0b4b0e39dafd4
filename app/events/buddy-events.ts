// The Buddy System event catalogue: one data schema per (type, version).
// A new version is a new entry; old versions stay so that in-flight events keep validating.
import { z } from 'zod';

const id = z.uuid();
const timestamp = z.iso.datetime({ offset: true });
const rating = z.int().min(1).max(5);

const matchCreatedV1 = z.strictObject({
  matchId: id,
  buddyId: id,
  participantId: id,
  programId: z.string().min(1).max(100),
  matchedAt: timestamp,
});

export const BUDDY_EVENT_SCHEMAS = {
  'buddy.match.created': {
    1: matchCreatedV1,
    // v2 adds the matcher's confidence so Q2Q AI can weigh early outcomes.
    2: matchCreatedV1.extend({ matchScore: z.number().min(0).max(1) }),
  },
  'buddy.match.ended': {
    1: z.strictObject({
      matchId: id,
      reason: z.enum(['completed', 'cancelled', 'reassigned']),
      endedAt: timestamp,
    }),
  },
  'buddy.event.attended': {
    1: z.strictObject({
      eventId: id,
      participantId: id,
      buddyId: id.optional(),
      attendedAt: timestamp,
      durationMinutes: z
        .int()
        .min(1)
        .max(24 * 60),
    }),
  },
  'buddy.checkin.completed': {
    1: z.strictObject({
      checkinId: id,
      matchId: id,
      mood: rating,
      notes: z.string().max(2000).optional(),
      completedAt: timestamp,
    }),
  },
  'buddy.feedback.submitted': {
    1: z.strictObject({
      feedbackId: id,
      matchId: id,
      fromRole: z.enum(['buddy', 'participant']),
      rating,
      comment: z.string().max(4000),
      submittedAt: timestamp,
    }),
  },
} as const satisfies Record<string, Record<number, z.ZodType>>;

export type BuddyEventType = keyof typeof BUDDY_EVENT_SCHEMAS;
export const BUDDY_EVENT_TYPES = Object.keys(BUDDY_EVENT_SCHEMAS) as BuddyEventType[];

export function isKnownEventType(type: string): type is BuddyEventType {
  return Object.hasOwn(BUDDY_EVENT_SCHEMAS, type);
}

export function dataSchemaFor(type: string, version: number): z.ZodType | undefined {
  if (!isKnownEventType(type)) return undefined;
  const versions: Record<number, z.ZodType> = BUDDY_EVENT_SCHEMAS[type];
  return Object.hasOwn(versions, version) ? versions[version] : undefined;
}

export function knownVersions(type: BuddyEventType): number[] {
  return Object.keys(BUDDY_EVENT_SCHEMAS[type]).map(Number);
}
