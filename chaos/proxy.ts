// A TCP proxy between the roles and one service, to make a network partition locally: while partitioned, no byte
// moves in either direction (open connections stall, new ones are accepted but not forwarded), as when packets are
// dropped rather than refused; healing resumes every stream where it stopped, as TCP's retransmission would.
import { createServer, connect, type Server, type Socket } from 'node:net';

type Pair = { client: Socket; upstream?: Socket };

export class PartitionProxy {
  private readonly server: Server;
  private readonly pairs = new Set<Pair>();
  private readonly waiting: Array<() => void> = [];
  private partitioned = false;
  readonly name: string;
  readonly port: number;
  private readonly targetPort: number;

  private constructor(name: string, server: Server, port: number, targetPort: number) {
    this.name = name;
    this.server = server;
    this.port = port;
    this.targetPort = targetPort;
  }

  static async open(name: string, port: number, targetPort: number): Promise<PartitionProxy> {
    const server = createServer();
    const proxy = new PartitionProxy(name, server, port, targetPort);
    server.on('connection', (client) => proxy.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  private accept(client: Socket) {
    const pair: Pair = { client };
    this.pairs.add(pair);
    client.on('error', () => undefined);
    client.on('close', () => {
      pair.upstream?.destroy();
      this.pairs.delete(pair);
    });
    const link = () => {
      if (client.destroyed) return;
      const upstream = connect(this.targetPort, '127.0.0.1');
      pair.upstream = upstream;
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
    };
    if (this.partitioned) {
      client.pause();
      this.waiting.push(link);
    } else {
      link();
    }
  }

  partition(): void {
    this.partitioned = true;
    // Unpiped and paused: pipe() would resume a paused source on the destination's next 'drain'.
    for (const { client, upstream } of this.pairs) {
      if (!upstream) continue;
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  heal(): void {
    this.partitioned = false;
    for (const { client, upstream } of this.pairs) {
      if (!upstream) continue;
      client.pipe(upstream);
      upstream.pipe(client);
    }
    for (const link of this.waiting.splice(0)) link();
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream?.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
