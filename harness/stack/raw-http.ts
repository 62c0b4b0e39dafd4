// An HTTP/1.1 connection driven by hand, for what fetch hides: a body declared and never sent, a
// client trickling bytes, two requests on one connection, the server closing the socket.
import net from 'node:net';

export type RawResponse = { status: number; headers: Record<string, string>; body: string };

export type RawConnection = {
  write(data: string | Buffer): void;
  /** The next complete response (responses here always carry Content-Length). */
  nextResponse(timeoutMs?: number): Promise<RawResponse>;
  /** Resolves with the milliseconds from connect to the server's close. */
  closed: Promise<number>;
  isClosed(): boolean;
  destroy(): void;
};

export async function openRaw(baseUrl: string): Promise<RawConnection> {
  const { hostname, port } = new URL(baseUrl);
  const socket = net.connect({ host: hostname, port: Number(port) });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const openedAt = performance.now();
  let buffer = Buffer.alloc(0);
  let waiter: (() => void) | undefined;
  let isClosed = false;
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    waiter?.();
  });
  // A reset is a close too: the server is done with us either way.
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      waiter?.();
      resolve(performance.now() - openedAt);
    }),
  );

  const parse = (): RawResponse | undefined => {
    const end = buffer.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const [statusLine, ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length'] ?? 0);
    if (buffer.length < end + 4 + length) return undefined;
    const body = buffer.subarray(end + 4, end + 4 + length).toString('utf8');
    buffer = buffer.subarray(end + 4 + length);
    return { status: Number(statusLine!.split(' ')[1]), headers, body };
  };

  return {
    write: (data) => void socket.write(data),
    nextResponse: (timeoutMs = 5000) =>
      new Promise<RawResponse>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          reject(new Error(`no response within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = () => {
          const response = parse();
          if (!response && !isClosed) return;
          clearTimeout(timer);
          waiter = undefined;
          if (response) resolve(response);
          else reject(new Error('connection closed without a (complete) response'));
        };
        waiter = check;
        check();
      }),
    closed,
    isClosed: () => isClosed,
    destroy: () => socket.destroy(),
  };
}

/** The head of a POST, every header given, Content-Length included: the body is for the caller to send (or not). */
export function postHead(path: string, headers: Record<string, string | number>): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}
