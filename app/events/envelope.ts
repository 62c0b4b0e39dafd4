// The envelope every event travels in, and its validation. Shared by publisher, gateway and consumers.
import { z } from 'zod';
import { type FieldError, zodIssuesToErrors } from '../validation/zod-issues.ts';
import { BUDDY_EVENT_TYPES, dataSchemaFor, isKnownEventType, knownVersions } from './buddy-events.ts';

export const EVENT_SOURCE = 'buddy-system';

const metadataSchema = z.strictObject({
  correlationId: z.string().min(1).max(200),
  causationId: z.string().min(1).max(200).optional(),
  actorId: z.string().min(1).max(200).optional(),
  tenantId: z.string().min(1).max(200).optional(),
});

export const envelopeSchema = z.strictObject({
  // Also the idempotency key: webhook-id, JetStream msgID and consumer dedup all use it.
  id: z.uuid(),
  type: z.string().min(1).max(100),
  version: z.int().min(1),
  occurredAt: z.iso.datetime({ offset: true }),
  source: z.string().min(1).max(100),
  data: z.unknown(),
  metadata: metadataSchema,
});

export type EventEnvelope = z.infer<typeof envelopeSchema>;

/** Why an event was rejected: a machine-readable reason plus every failing field. */
export type ValidationFailure = {
  reason: 'schema_invalid' | 'unknown_event_type' | 'unknown_event_version';
  detail: string;
  errors: FieldError[];
};

export type ValidationResult = { ok: true; event: EventEnvelope } | { ok: false; failure: ValidationFailure };

function unknownType(type: string, envelopeErrors: FieldError[]): ValidationResult {
  return {
    ok: false,
    failure: {
      reason: 'unknown_event_type',
      detail: `Unknown event type "${type}". Known types: ${BUDDY_EVENT_TYPES.join(', ')}.`,
      errors: [{ path: '/type', message: 'unknown event type' }, ...envelopeErrors],
    },
  };
}

/** The `type` the sender meant, read before the envelope is checked: an own string property or nothing. */
function claimedType(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input) || !Object.hasOwn(input, 'type')) return undefined;
  const { type } = input as { type: unknown };
  return typeof type === 'string' ? type : undefined;
}

/** Validates an already-parsed JSON value as an event envelope with a known, versioned data schema. */
export function validateEvent(input: unknown): ValidationResult {
  const envelope = envelopeSchema.safeParse(input);
  // An unknown type is the more useful news than a missing envelope field (often a typo or a sender
  // ahead of this deployment), so it comes first, with the envelope's own errors after it.
  const type = claimedType(input);
  if (type !== undefined && !isKnownEventType(type)) {
    return unknownType(type, envelope.success ? [] : zodIssuesToErrors(envelope.error.issues).filter((e) => e.path !== '/type'));
  }
  if (!envelope.success) {
    return {
      ok: false,
      failure: { reason: 'schema_invalid', detail: 'The event envelope is invalid.', errors: zodIssuesToErrors(envelope.error.issues) },
    };
  }
  const { type: knownType, version, data } = envelope.data;
  if (!isKnownEventType(knownType)) return unknownType(knownType, []);
  const dataSchema = dataSchemaFor(knownType, version);
  if (!dataSchema) {
    return {
      ok: false,
      failure: {
        reason: 'unknown_event_version',
        detail: `Unknown version ${version} of "${knownType}". Known versions: ${knownVersions(knownType).join(', ')}.`,
        errors: [{ path: '/version', message: 'unknown event version' }],
      },
    };
  }
  const parsedData = dataSchema.safeParse(data);
  if (!parsedData.success) {
    return {
      ok: false,
      failure: {
        reason: 'schema_invalid',
        detail: `The data of "${knownType}" v${version} is invalid.`,
        errors: zodIssuesToErrors(parsedData.error.issues, ['data']),
      },
    };
  }
  return { ok: true, event: { ...envelope.data, data: parsedData.data } };
}

/** The JetStream subject an event is published on: one per type and version, so consumers can filter. */
export function subjectFor(subjectPrefix: string, event: Pick<EventEnvelope, 'type' | 'version'>): string {
  return `${subjectPrefix}.${event.type}.v${event.version}`;
}
