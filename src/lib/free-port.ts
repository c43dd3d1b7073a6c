// A free TCP port on the loopback interface, for a listener the process starts itself (the Temporal SDK's metrics
// exporter; the tests' app processes and servers).
import { createServer } from 'node:net';

/** A port free on 127.0.0.1 right now (another process may still take it before it is bound). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
