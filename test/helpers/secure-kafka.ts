// A single-node Kafka broker of a test's own with a SASL_SSL listener (PLAIN and SCRAM-SHA-256/512, user `app`),
// run from the broker jars the stack provisions (scripts/provision/kafka.sh) on free loopback ports; the shared
// broker on :9092 is never touched. Inter-broker and controller traffic stay on plain-text listeners of their own.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { TestCertificates } from './tls-certs.ts';

export type SecureKafka = { port: number; user: string; password: string; stop: () => Promise<void> };

function libs(): string {
  const path = process.env.KAFKA_LIBS_PATH;
  if (!path || !existsSync(join(path, '.complete'))) {
    throw new Error('KAFKA_LIBS_PATH does not name the provisioned broker jars: run the tests through `npm test`');
  }
  return path;
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

export async function startSecureKafka(dir: string, certs: TestCertificates, ports: [number, number, number]): Promise<SecureKafka> {
  const [client, internal, controller] = ports;
  const user = 'app';
  const password = 'app-secret-for-tests';
  const home = join(dir, 'kafka');
  mkdirSync(home, { recursive: true });
  // Kafka reads a PEM key store as one file holding the private key and the certificate chain.
  const keystore = join(home, 'broker.pem');
  writeFileSync(keystore, readFileSync(certs.serverKey, 'utf8') + readFileSync(certs.serverCert, 'utf8'));
  const jaas = (module: string, extra = '') => `org.apache.kafka.common.security.${module} required${extra};`;
  const properties = join(home, 'server.properties');
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=SASL_SSL://127.0.0.1:${client},INTERNAL://127.0.0.1:${internal},CONTROLLER://127.0.0.1:${controller}`,
      `advertised.listeners=SASL_SSL://localhost:${client},INTERNAL://127.0.0.1:${internal}`,
      'listener.security.protocol.map=SASL_SSL:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=INTERNAL',
      `log.dirs=${join(home, 'data')}`,
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
      'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      `listener.name.sasl_ssl.plain.sasl.jaas.config=${jaas('plain.PlainLoginModule', ` user_${user}="${password}"`)}`,
      `listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=${jaas('scram.ScramLoginModule')}`,
      `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${jaas('scram.ScramLoginModule')}`,
      'ssl.keystore.type=PEM',
      `ssl.keystore.location=${keystore}`,
      '',
    ].join('\n'),
  );
  const java = ['-Xmx384m', '-Xms128m', '-Djava.awt.headless=true', '-cp', `${libs()}/*`];
  // SCRAM credentials live in the cluster metadata; KRaft writes them when the storage is formatted.
  const scram = ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${user},password=${password}]`]);
  execFileSync('java', [...java, 'kafka.tools.StorageTool', 'format', '-t', 'c2FnYS1zZWN1cmUtdGVzdA', '-c', properties, ...scram], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = join(home, 'kafka.out');
  const broker: ChildProcess = spawn('java', [...java, `-Dkafka.logs.dir=${home}`, 'kafka.Kafka', properties], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  broker.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  broker.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  let exited = false;
  broker.once('exit', () => (exited = true));
  const deadline = Date.now() + 90_000;
  while (!(await portOpen(client))) {
    if (exited || Date.now() > deadline) {
      writeFileSync(log, output.join(''));
      broker.kill('SIGKILL');
      throw new Error(
        `the test broker did not open :${client} (${exited ? 'it exited' : 'timed out'}); output in ${log}:\n${output.join('').slice(-2000)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    port: client,
    user,
    password,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        broker.once('exit', () => resolve());
        broker.kill('SIGKILL'); // a throw-away broker: nothing to flush
      }),
  };
}
