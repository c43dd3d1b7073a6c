// Kafka with SASL over TLS, for real: a broker of the test's own whose only client listener is SASL_SSL
// (test/helpers/secure-kafka.ts), and the app's KAFKA_SSL_* / KAFKA_SASL_* settings through createKafka, plus the
// topic settings a cluster wants (replication factor, min.insync.replicas) as ensureTopics creates them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.ts';
import { ensureTopics } from '../../src/messaging/admin.ts';
import { createKafka } from '../../src/messaging/kafka.ts';
import { freeLoopbackPort } from '../../src/lib/free-port.ts';
import { testLogger } from '../helpers/config.ts';
import { eventually } from '../helpers/eventually.ts';
import { makeTestCertificates, type TestCertificates } from '../helpers/tls-certs.ts';
import { startSecureKafka, type SecureKafka } from '../helpers/secure-kafka.ts';

let dir: string;
let certs: TestCertificates;
let broker: SecureKafka;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kafka-sasl-ssl-'));
  certs = makeTestCertificates(dir);
  broker = await startSecureKafka(dir, certs, [await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort()]);
}, 120_000);

afterAll(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const configFor = (env: Record<string, string>): Config =>
  loadConfig({ LOG_LEVEL: 'silent', KAFKA_BROKERS: `localhost:${broker.port}`, KAFKA_SSL_CA_FILE: certs.ca, ...env });

const quiet = () => testLogger(loadConfig({ LOG_LEVEL: 'silent' }));

describe('Kafka with SASL over TLS', () => {
  it('when SCRAM-SHA-512 credentials and the CA are configured, then topics are created with the cluster settings and a message goes through', async () => {
    const config = configFor({
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: broker.user,
      KAFKA_SASL_PASSWORD: broker.password,
    });
    const kafka = createKafka(config, quiet());
    const topic = 'secure-orders';
    // The broker answers on its port a moment before its metadata is ready; creation is retried until it is.
    await eventually(
      () => ensureTopics(kafka, { partitions: 2, replicationFactor: 1, minInsyncReplicas: 1, topics: [topic] }),
      () => true,
      {
        timeoutMs: 60_000,
        what: 'topic creation over SASL_SSL',
      },
    );
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();
    try {
      const described = await admin.describeConfigs({
        resources: [{ type: 2, name: topic, configNames: ['min.insync.replicas'] }],
        includeSynonyms: false,
      });
      expect(described.resources[0]?.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue).toBe('1');
      await producer.send({ topic, acks: -1, messages: [{ key: '1', value: 'hello' }] });
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(1);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('when the mechanism is PLAIN or SCRAM-SHA-256, then the same user gets in', async () => {
    for (const mechanism of ['plain', 'scram-sha-256']) {
      const admin = createKafka(
        configFor({ KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: broker.user, KAFKA_SASL_PASSWORD: broker.password }),
        quiet(),
      ).admin();
      await admin.connect();
      try {
        expect(await admin.listTopics()).toContain('secure-orders');
      } finally {
        await admin.disconnect();
      }
    }
  });

  it('when the password is wrong, then the broker refuses the login', async () => {
    const config = configFor({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: broker.user, KAFKA_SASL_PASSWORD: 'wrong' });
    const admin = createKafka(config, quiet(), { retry: { retries: 0 } }).admin();
    await expect(admin.connect()).rejects.toThrow(/SASL SCRAM SHA512 authentication failed|authentication/i);
  });

  it('when the CA does not vouch for the broker, then the connection is refused before any credential is sent', async () => {
    const config = configFor({
      KAFKA_SSL_CA_FILE: certs.otherCa,
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: broker.user,
      KAFKA_SASL_PASSWORD: broker.password,
    });
    const admin = createKafka(config, quiet(), { retry: { retries: 0 } }).admin();
    await expect(admin.connect()).rejects.toThrow(/self[- ]signed|unable to (verify|get)|certificate/i);
  });
});
