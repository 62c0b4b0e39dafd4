// A small TCP fault proxy between the publisher and the gateway: pass traffic, delay it, swallow
// it (a partition that hangs until the client times out), or reset every connection.
import net from 'node:net';

export type ProxyMode = { kind: 'pass' } | { kind: 'latency'; ms: number } | { kind: 'drop' } | { kind: 'reset' };

export type FaultProxy = { url: string; port: number; mode(): ProxyMode; setMode(mode: ProxyMode): void; close(): Promise<void> };

export async function startFaultProxy(options: { targetPort: number; targetHost?: string; port?: number }): Promise<FaultProxy> {
  let mode: ProxyMode = { kind: 'pass' };
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    if (mode.kind === 'reset') return void client.resetAndDestroy();
    if (mode.kind === 'drop') return void client.on('data', () => undefined); // never answered
    const delay = mode.kind === 'latency' ? mode.ms : 0;
    const upstream = net.connect(options.targetPort, options.targetHost ?? '127.0.0.1');
    open.add(upstream);
    upstream.on('close', () => {
      open.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    const forward = (from: net.Socket, to: net.Socket) =>
      from.on('data', (chunk) => (delay ? setTimeout(() => to.writable && to.write(chunk), delay) : to.write(chunk)));
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    mode: () => mode,
    setMode(next) {
      mode = next;
      // A partition must cut keep-alive connections too, not only new ones.
      if (next.kind !== 'pass' && next.kind !== 'latency') for (const socket of open) socket.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
