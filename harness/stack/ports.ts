// Free loopback ports for spawned processes; the demo checks its fixed ports explicitly instead.
import net from 'node:net';

/**
 * Below Linux's ephemeral range (32768–60999 by default), from which the kernel takes the local port
 * of every outgoing connection. A port picked there can be taken by any connect() between the check
 * and the spawned process's bind: a JetStream cluster's route port collided that way now and then.
 */
const RANGE = { from: 15_000, to: 32_000 };
/** Never hand the same port out twice in one process, even after its first user has exited. */
const handedOut = new Set<number>();

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = RANGE.from + Math.floor(Math.random() * (RANGE.to - RANGE.from));
    if (handedOut.has(port) || !(await canBind(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free loopback port between ${RANGE.from} and ${RANGE.to} after 500 tries`);
}

/** True when something already listens on the port (so a fixed demo port is taken). */
export async function isPortInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
