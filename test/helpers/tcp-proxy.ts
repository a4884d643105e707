// A TCP relay the test owns, in front of a real service (PostgreSQL, Redis, the S3 server):
// stopping it looks to Plumage exactly like the service going away (refused connections, cut
// sockets) without disturbing other tests that use the same service.
import net from 'node:net';

export interface TcpProxy {
  port: number;
  /** Refuse new connections and cut the open ones. */
  stop(): Promise<void>;
  /** Accept connections again, on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect({ host: targetHost, port: targetPort });
        for (const sock of [client, upstream]) {
          sockets.add(sock);
          sock.on('close', () => sockets.delete(sock));
          sock.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });
  const stop = async () => {
    const s = server;
    server = null;
    for (const sock of sockets) sock.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return {
    get port() {
      return port;
    },
    stop,
    start: listen,
    close: stop,
  };
}

/** Retries a request a bounded number of times (40 × 250 ms) while a store behind a relay comes back. */
export async function eventually<T extends { status: number }>(fn: () => Promise<T>, want: number): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 40; i++) {
    last = await fn();
    if (last.status === want) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  return last!;
}
