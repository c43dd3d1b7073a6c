// Which broker of the run's three-node Kafka plays which part, asked at the moment of a fault: the active controller
// (the KRaft quorum's leader) and the leader of a partition of the app's topics; and whether every replica is back in
// sync after a broker restarted. Read-only; the brokers are the chaos run's own.
import { Kafka, logLevel } from 'kafkajs';
import { connect } from 'node:net';
import { TOPICS } from '../src/messaging/topics.ts';

/** The topic whose partition leader the "partition leader" fault kills: the first event of every order. */
export const LEADER_TOPIC = TOPICS.orderCreated;

const DESCRIBE_QUORUM = 55;

/** Encodes an unsigned varint (the flexible protocol versions' lengths). */
const uvarint = (n: number): number[] => {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
};

const readUvarint = (buf: Buffer, at: number): [number, number] => {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = buf[at++]!;
    value |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [value, at];
    shift += 7;
  }
};

/**
 * DescribeQuorum v0 for `__cluster_metadata` partition 0, sent to one controller listener. kafkajs has no such request
 * and its describeCluster() cannot tell: in KRaft a broker's metadata answer names a random live broker as the
 * "controller". Only the quorum's leader answers without an error; resolves with its leader id, or undefined when
 * this controller is not the leader or does not answer in time.
 */
export function askQuorumLeader(port: number, timeoutMs = 3000): Promise<number | undefined> {
  const topic = Buffer.from('__cluster_metadata');
  const clientId = Buffer.from('order-saga-chaos');
  const header = Buffer.alloc(10);
  header.writeInt16BE(DESCRIBE_QUORUM, 0);
  header.writeInt16BE(0, 2);
  header.writeInt32BE(1, 4);
  header.writeInt16BE(clientId.length, 8);
  const partition = Buffer.alloc(4); // partition_index 0
  const body = Buffer.concat([
    header,
    clientId,
    Buffer.from([0]), // header tagged fields
    Buffer.from(uvarint(2)), // topics: one
    Buffer.from(uvarint(topic.length + 1)),
    topic,
    Buffer.from(uvarint(2)), // partitions: one
    partition,
    Buffer.from([0, 0, 0]), // tagged fields of the partition, the topic, the request
  ]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    const done = (value: number | undefined) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('connect', () => socket.write(Buffer.concat([size, body])));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4 || received.length < 4 + received.readInt32BE(0)) return;
      try {
        let at = 4 + 4; // size, correlation id
        [, at] = readUvarint(received, at); // response header tagged fields (none)
        const error = received.readInt16BE(at);
        at += 2;
        if (error !== 0) return done(undefined);
        [, at] = readUvarint(received, at); // topics
        const [nameLength, afterLength] = readUvarint(received, at);
        at = afterLength + nameLength - 1;
        [, at] = readUvarint(received, at); // partitions
        at += 4; // partition index
        const partitionError = received.readInt16BE(at);
        done(partitionError === 0 ? received.readInt32BE(at + 2) : undefined);
      } catch {
        done(undefined);
      }
    });
  });
}

/** The active controller's node id: the one controller (of those given, node → controller port) that leads the quorum. */
export async function activeController(controllerPorts: Map<number, number>): Promise<number | undefined> {
  const answers = await Promise.all([...controllerPorts.values()].map((port) => askQuorumLeader(port)));
  return answers.find((id) => id !== undefined);
}

export type Placement = {
  /** The node id leading each partition of LEADER_TOPIC, by partition id. */
  leaders: Map<number, number>;
  /** Partitions (of every topic) whose in-sync replicas are fewer than their replicas. */
  underReplicated: number;
  partitions: number;
};

/** Partition leadership and replication, from the brokers' metadata (kafkajs admin). */
export async function placement(brokers: string[]): Promise<Placement> {
  const kafka = new Kafka({
    clientId: 'order-saga-chaos',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 5000,
    retry: { retries: 1 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata();
    let underReplicated = 0;
    let partitions = 0;
    const leaders = new Map<number, number>();
    for (const t of topics) {
      for (const p of t.partitions) {
        partitions++;
        if (p.isr.length < p.replicas.length) underReplicated++;
        if (t.name === LEADER_TOPIC && p.leader >= 0) leaders.set(p.partitionId, p.leader);
      }
    }
    return { leaders, underReplicated, partitions };
  } finally {
    await admin.disconnect();
  }
}
