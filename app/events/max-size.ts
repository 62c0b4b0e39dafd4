// The largest event the schemas allow, in bytes of JSON as JSON.stringify writes it (what our
// publisher sends). The gateway sizes its body limit from it: a bigger body cannot hold a valid
// event, so there is no reason to read it. Derived from the schemas, so a new field or a longer
// limit moves the number by itself.
import { z } from 'zod';
import { BUDDY_EVENT_TYPES, dataSchemaFor, knownVersions } from './buddy-events.ts';
import { envelopeSchema, type EventEnvelope } from './envelope.ts';

// zod's max() counts UTF-16 code units. JSON.stringify writes a control character (or a lone
// surrogate) as \uXXXX: six bytes for one code unit, the most any character costs (a four-byte
// UTF-8 character is two code units).
const COSTLIEST_CHARACTER = '\u0000';
const UUID = '00000000-0000-4000-8000-000000000000';
// z.iso.datetime() would take any number of fractional digits; no sender writes more than
// milliseconds, and an offset is the longer of the two zone forms.
const TIMESTAMP = '2026-01-01T00:00:00.000+00:00';
// The longest shortest-round-trip forms of a double (24 and 23 characters), then a common long one:
// the first one the schema allows is used.
const LONG_FLOATS = [-2.2250738585072014e-308, 2.2250738585072014e-308, 0.30000000000000004];

/** The costliest value a schema accepts, as JSON. Throws on an unbounded string: every string needs a max(). */
export function costliestValue(schema: z.ZodType, path = ''): unknown {
  const def = schema._zod.def as { type: string; format?: string };
  if (schema instanceof z.ZodObject) {
    return Object.fromEntries(
      Object.entries(schema.shape as Record<string, z.ZodType>).map(([key, field]) => [key, costliestValue(field, `${path}/${key}`)]),
    );
  }
  if (schema instanceof z.ZodOptional) return costliestValue(schema.unwrap() as z.ZodType, path);
  if (schema instanceof z.ZodEnum) return [...(schema.options as string[])].sort((a, b) => b.length - a.length)[0];
  if (def.type === 'string') {
    if (def.format === 'uuid') return UUID;
    if (def.format === 'datetime') return TIMESTAMP;
    const max = (schema as z.ZodString).maxLength;
    if (def.format || max === null) throw new Error(`cannot size the string at ${path || '/'}: give it a max()`);
    return COSTLIEST_CHARACTER.repeat(max);
  }
  if (schema instanceof z.ZodNumber) {
    const candidates = schema.isInt
      ? [schema.minValue, schema.maxValue].filter((n): n is number => n !== null && Number.isFinite(n))
      : LONG_FLOATS;
    const allowed = candidates.filter((n) => schema.safeParse(n).success).sort((a, b) => String(b).length - String(a).length);
    if (allowed.length === 0) throw new Error(`cannot size the number at ${path || '/'}`);
    return allowed[0];
  }
  throw new Error(`cannot size a ${def.type} at ${path || '/'}`);
}

/** The costliest valid event of one type and version. */
export function costliestEvent(type: string, version: number): EventEnvelope {
  const dataSchema = dataSchemaFor(type, version);
  if (!dataSchema) throw new Error(`unknown event ${type} v${version}`);
  const envelope = costliestValue(envelopeSchema.omit({ type: true, version: true, data: true })) as Omit<
    EventEnvelope,
    'type' | 'version' | 'data'
  >;
  return { ...envelope, type, version, data: costliestValue(dataSchema, '/data') };
}

export const COSTLIEST_EVENTS = BUDDY_EVENT_TYPES.flatMap((type) =>
  knownVersions(type).map((version) => ({ type, version, bytes: Buffer.byteLength(JSON.stringify(costliestEvent(type, version))) })),
);

/** Bytes of the largest valid event (today buddy.feedback.submitted: a 4,000-character comment). */
export const MAX_EVENT_BYTES = Math.max(...COSTLIEST_EVENTS.map((e) => e.bytes));
