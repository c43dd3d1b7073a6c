// A TLS front for a plain-text TCP server, as a load balancer or a Temporal cluster's frontend would terminate TLS:
// it offers HTTP/2 by ALPN (gRPC needs it), can require a client certificate signed by its CA (mTLS), and passes
// the bytes through to `upstream`. The Temporal dev server has no TLS options, so this is how the tests put TLS in
// front of it. Records the subject CN of every client certificate it accepted and why it refused a handshake.
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';

export type TlsProxy = {
  port: number;
  /** Subject CN of each client certificate a connection was accepted with. */
  clientNames: string[];
  /** Why each refused handshake failed, as the server saw it (the client's side of it varies with timing). */
  refusals: string[];
  close: () => Promise<void>;
};

export async function startTlsProxy(options: {
  upstream: string;
  cert: string;
  key: string;
  /** The CA client certificates must chain to; unset: no client certificate asked for. */
  clientCa?: string;
}): Promise<TlsProxy> {
  const [host, port] = splitAddress(options.upstream);
  const clientNames: string[] = [];
  const refusals: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    {
      cert: readFileSync(options.cert),
      key: readFileSync(options.key),
      ALPNProtocols: ['h2'],
      ...(options.clientCa && { ca: readFileSync(options.clientCa), requestCert: true, rejectUnauthorized: true }),
    },
    (socket) => {
      const name = socket.getPeerCertificate().subject?.CN;
      if (typeof name === 'string') clientNames.push(name);
      const upstream = net.connect(port, host);
      for (const s of [socket, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {
          socket.destroy();
          upstream.destroy();
        });
      }
      socket.pipe(upstream).pipe(socket);
    },
  );
  server.on('tlsClientError', (err) => refusals.push(err.message));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    clientNames,
    refusals,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at).replace(/^\[|\]$/g, ''), Number(address.slice(at + 1))];
}
