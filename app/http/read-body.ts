// Request bodies for the routes that bypass Express (plain-route.ts): read up to a byte limit, with
// body-parser's error shapes (`type`, `status`, `length`, `limit`), so that describeBodyError and the
// gateway's unreadableBody answer exactly as they did under Express.
import type { IncomingMessage } from 'node:http';
import type { BodyReadError } from './body-errors.ts';

export type BodyError = Error & BodyReadError & { status: number; statusCode: number; expose: boolean };

export function bodyError(status: number, type: string, message: string, fields: Partial<BodyReadError> = {}): BodyError {
  return Object.assign(new Error(message), { ...fields, status, statusCode: status, expose: true, type });
}

/**
 * The whole body as sent. A declared Content-Length over `limit` fails before a byte is read; a
 * chunked one fails at the first byte past it. Unlike body-parser, a failure does not wait for the
 * rest of the body: Node reads and drops it after the answer, unless the answer closes the connection.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    // body-parser inflated gzip and deflate, but a webhook's signature covers the bytes as sent:
    // verifying a body this server inflated would verify bytes nobody signed.
    if (encoding !== 'identity') return reject(bodyError(415, 'encoding.unsupported', `content encoding unsupported: ${encoding}`));
    const declared = req.headers['content-length'];
    const length = declared === undefined ? undefined : Number(declared);
    if (length !== undefined && length > limit) {
      return reject(bodyError(413, 'entity.too.large', 'request entity too large', { length, limit }));
    }
    if (req.readableEnded) return resolve(Buffer.alloc(0));
    const chunks: Buffer[] = [];
    let received = 0;
    const settle = (error: BodyError | null) => {
      req.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onClose);
      if (error) reject(error);
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) settle(bodyError(413, 'entity.too.large', 'request entity too large', { limit }));
      else chunks.push(chunk);
    };
    const onEnd = () => {
      // Node's parser enforces Content-Length; this is body-parser's guard, kept for its answer.
      if (length !== undefined && received !== length)
        settle(bodyError(400, 'request.size.invalid', 'request size did not match content length', { length }));
      else settle(null);
    };
    // 'close' before 'end': the client went away (or the request timeout cut it off) mid-body.
    const onClose = () => settle(bodyError(400, 'request.aborted', 'request aborted', { length }));
    req.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onClose);
  });
}

const JSON_TYPE = /^application\/json$/i;

/**
 * What express.json() made of a request: undefined when it has no body or is not application/json
 * (the caller answers 415), {} for an empty body, otherwise the parsed object or array. Its errors
 * are body-parser's: charset.unsupported (415), entity.parse.failed (400, with the text as `body`).
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const hasBody = req.headers['transfer-encoding'] !== undefined || !Number.isNaN(Number.parseInt(req.headers['content-length'] ?? '', 10));
  const [type, ...parameters] = (req.headers['content-type'] ?? '').split(';');
  if (!hasBody || !JSON_TYPE.test(type!.trim())) return undefined;
  const charsetParameter = parameters.map((p) => p.trim().split('=')).find(([name]) => name!.toLowerCase() === 'charset');
  const charset = (charsetParameter?.[1]?.replace(/^"|"$/g, '') ?? 'utf-8').toLowerCase();
  const decode = textDecoder(charset);
  if (!decode) throw bodyError(415, 'charset.unsupported', `unsupported charset "${charset.toUpperCase()}"`);
  const text = decode(await readBody(req, limit));
  if (text.length === 0) return {};
  // Strict, as body-parser: only an object or an array at the top.
  const first = /^[ \t\n\r]*(.)/s.exec(text)?.[1];
  try {
    if (first !== '{' && first !== '[') throw new SyntaxError('not an object or array');
    return JSON.parse(text);
  } catch (error) {
    throw bodyError(400, 'entity.parse.failed', (error as Error).message, { body: text });
  }
}

/** body-parser read JSON in any UTF (utf-8 by default) and nothing else. */
function textDecoder(charset: string): ((bytes: Buffer) => string) | undefined {
  if (charset === 'utf-8') return (bytes) => bytes.toString('utf8');
  if (!charset.startsWith('utf-')) return undefined;
  try {
    const decoder = new TextDecoder(charset);
    return (bytes) => decoder.decode(bytes);
  } catch {
    return undefined;
  }
}
