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
        kafkaLog[levelFor(level, entry)](rest, message);
      },
    ...extra,
  });
}
