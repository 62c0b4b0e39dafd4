// What a log line or a problem+json may say about a body that could not be used: its size and where
// it stops being JSON, never its text. Bodies carry personal data (check-in notes, comments), and
// V8's JSON.parse messages quote the body around the error ("Unexpected token 'P', "PERSONAL-D"...").

/** A body-parser error: `body` is the raw text it could not parse, `length` and `limit` are byte counts. */
export type BodyReadError = { type?: string; status?: number; message: string; body?: unknown; length?: number; limit?: number };

export type BodyErrorDescription = { detail: string; log: Record<string, unknown> };

export function describeMalformedJson(body: string | Buffer): BodyErrorDescription {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const bodyBytes = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const position = jsonSyntaxErrorAt(text);
  return {
    detail: `The body (${bodyBytes} bytes) is not valid JSON: it stops being JSON at character ${position}.`,
    log: { body_bytes: bodyBytes, json_error_position: position },
  };
}

/** The detail and log fields for a body-parser error: only body-parser's own words and numbers. */
export function describeBodyError(err: BodyReadError): BodyErrorDescription {
  if (err.type === 'entity.parse.failed') return describeMalformedJson(typeof err.body === 'string' ? err.body : '');
  if (err.type === 'entity.too.large') {
    return { detail: `The body exceeds ${err.limit} bytes.`, log: { body_bytes: err.length, limit_bytes: err.limit } };
  }
  // Its other messages (unsupported charset, aborted request, length mismatch) name no body content.
  return { detail: err.message, log: { error_type: err.type, error: err.message } };
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

/**
 * Where `text` stops being JSON (RFC 8259): the offset of the first token that does not fit (V8
 * points a character or two further into a broken number or escape), `text.length` when the text
 * ends too early, -1 when it is valid. V8 names no position for an unexpected token; this always
 * does. One pass, no recursion.
 */
export function jsonSyntaxErrorAt(text: string): number {
  const closers: string[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  };
  const string = (): boolean => {
    i++;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        ESCAPE.lastIndex = i;
        if (!ESCAPE.test(text)) return false;
        i = ESCAPE.lastIndex;
      } else i++;
    }
    return false;
  };
  const key = (): boolean => {
    skipSpace();
    if (text[i] !== '"' || !string()) return false;
    skipSpace();
    if (text[i] !== ':') return false;
    i++;
    return true;
  };
  const scalar = (): boolean => {
    if (text[i] === '"') return string();
    const literal = ['true', 'false', 'null'].find((l) => text.startsWith(l, i));
    if (literal) {
      i += literal.length;
      return true;
    }
    NUMBER.lastIndex = i;
    if (!NUMBER.test(text)) return false;
    i = NUMBER.lastIndex;
    return true;
  };

  for (;;) {
    // A value starts here: a scalar is read whole, a bracket opens a container.
    skipSpace();
    if (text[i] === '{' || text[i] === '[') {
      const closer = text[i] === '{' ? '}' : ']';
      i++;
      skipSpace();
      if (text[i] === closer) i++;
      else {
        closers.push(closer);
        if (closer === '}' && !key()) return i;
        continue;
      }
    } else if (!scalar()) return i;
    // After a value: a comma, the end of containers, or the end of the text.
    for (;;) {
      skipSpace();
      const closer = closers.at(-1);
      if (closer === undefined) return i === text.length ? -1 : i;
      if (text[i] === closer) {
        closers.pop();
        i++;
      } else if (text[i] === ',') {
        i++;
        if (closer === '}' && !key()) return i;
        break;
      } else return i;
    }
  }
}
