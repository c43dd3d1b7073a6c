// The single seam to the Kafka client library (kafkajs today). Everything else imports from here.
import { AssignerProtocol, Kafka, logLevel, Partitioners, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';

export type { Kafka, Producer, Consumer, Admin, EachMessagePayload } from 'kafkajs';
export { AssignerProtocol, Partitioners };

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function createKafka(
  config: Pick<Config, 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID'>,
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
    // Route kafkajs' own logging through pino so it is readable next to ours.
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        kafkaLog[levels[level] ?? 'info'](rest, message);
      },
    ...extra,
  });
}
