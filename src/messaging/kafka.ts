// The single seam to the Kafka client library (kafkajs today). Everything else imports from here.
import { readFileSync } from 'node:fs';
import { AssignerProtocol, Kafka, logLevel, Partitioners, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';

export type { Kafka, Producer, Consumer, Admin, EachMessagePayload, EachBatchPayload, Message, IHeaders } from 'kafkajs';
export { AssignerProtocol, Partitioners };

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * Errors kafkajs logs at error level and then handles itself: partition leadership moving, a group rebalancing or
 * its coordinator being elected, topics still being created. They are normal when a consumer group starts or a
 * broker restarts, so they go to debug; anything else keeps its level.
 */
const HANDLED_BY_KAFKAJS =
  /not the leader for that topic-partition|group is rebalancing|coordinator is not (available|aware)|leadership election|LEADER_NOT_AVAILABLE|does not host this topic-partition|topic or partition that does not exist/i;

/** The pino level for one of kafkajs's log entries. */
export function levelFor(level: number, entry: { message: string; error?: unknown }): 'error' | 'warn' | 'info' | 'debug' {
  const error = typeof entry.error === 'string' ? entry.error : entry.error instanceof Error ? entry.error.message : '';
  if (HANDLED_BY_KAFKAJS.test(`${error} ${entry.message}`)) return 'debug';
  return levels[level] ?? 'info';
}

export type KafkaSecurityConfig = Pick<
  Config,
  | 'KAFKA_SSL'
  | 'KAFKA_SSL_CA_FILE'
  | 'KAFKA_SSL_CERT_FILE'
  | 'KAFKA_SSL_KEY_FILE'
  | 'KAFKA_SASL_MECHANISM'
  | 'KAFKA_SASL_USERNAME'
  | 'KAFKA_SASL_PASSWORD'
>;

/** kafkajs's `ssl` and `sasl` options from the config (both absent for the local plain-text broker). */
export function kafkaSecurity(config: Partial<KafkaSecurityConfig>): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const options: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (config.KAFKA_SSL) {
    const files = {
      ...(config.KAFKA_SSL_CA_FILE !== undefined && { ca: readFileSync(config.KAFKA_SSL_CA_FILE) }),
      ...(config.KAFKA_SSL_CERT_FILE !== undefined && { cert: readFileSync(config.KAFKA_SSL_CERT_FILE) }),
      ...(config.KAFKA_SSL_KEY_FILE !== undefined && { key: readFileSync(config.KAFKA_SSL_KEY_FILE) }),
    };
    // `true`: Node's default trust store, as a managed Kafka with a public certificate needs.
    options.ssl = Object.keys(files).length > 0 ? files : true;
  }
  if (config.KAFKA_SASL_MECHANISM && config.KAFKA_SASL_USERNAME !== undefined && config.KAFKA_SASL_PASSWORD !== undefined) {
    options.sasl = {
      mechanism: config.KAFKA_SASL_MECHANISM,
      username: config.KAFKA_SASL_USERNAME,
      password: config.KAFKA_SASL_PASSWORD,
    } as SASLOptions;
  }
  return options;
}

export function createKafka(
  config: Pick<Config, 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID'> & Partial<KafkaSecurityConfig>,
  log: Logger,
  extra: Partial<KafkaConfig> = {},
): Kafka {
  const kafkaLog = log.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: config.KAFKA_CLIENT_ID,
    brokers: config.KAFKA_BROKERS,
    connectionTimeout: 3000,
    requestTimeout: 10000,
    logLevel: logLevel.WARN,
    ...kafkaSecurity(config),
    // Route kafkajs' own logging through pino so it is readable next to ours.
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        kafkaLog[levelFor(level, entry)](rest, message);
      },
    ...extra,
  });
}
