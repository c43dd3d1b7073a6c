// A TCP proxy a test can cut and restore: the app reaches a server (PostgreSQL) through it, so the test decides when
// that server is "gone". Cutting destroys every open connection and stops listening; opening listens again on the
// same port.
import { createServer, connect, type Server, type Socket } from 'node:net';

export type CuttableProxy = {
  readonly listening: boolean;
  open(): Promise<void>;
  cut(): Promise<void>;
};

/** A proxy on 127.0.0.1:`port` to `target`'s host and port (default port 5432); not listening until open(). */
export function cuttableProxy(target: URL, port: number): CuttableProxy {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  return {
    get listening() {
      return server?.listening ?? false;
    },
    open() {
      server = createServer((client) => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
      });
      return new Promise((resolve) => server!.listen(port, '127.0.0.1', () => resolve()));
    },
    cut() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}
