// Logs a person can read: JSON lines unless asked for pretty output, and kafkajs's self-healing protocol errors
// (leadership moves, rebalances) kept out of the error level.
import { describe, expect, it } from '@jest/globals';
import { logLevel } from 'kafkajs';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { levelFor } from '../../src/messaging/kafka.ts';

describe('kafkajs log levels', () => {
  it.each([
    'This server is not the leader for that topic-partition',
    'The group is rebalancing, so a rejoin is needed',
    'The coordinator is not available',
    'There is no leader for this topic-partition as we are in the middle of a leadership election',
  ])('when kafkajs logs "%s" as an error, then it goes to debug (kafkajs retries it itself)', (error) => {
    expect(levelFor(logLevel.ERROR, { message: 'Response Metadata(key: 3, version: 6)', error })).toBe('debug');
  });

  it('when kafkajs logs anything else, then its own level is kept', () => {
    expect(levelFor(logLevel.ERROR, { message: 'Connection error: connect ECONNREFUSED 127.0.0.1:9092' })).toBe('error');
    expect(levelFor(logLevel.WARN, { message: 'Crash: KafkaJSNumberOfRetriesExceeded' })).toBe('warn');
  });
});

describe('log format', () => {
  it('when LOG_PRETTY is unset, then every event is one JSON line with its fields', () => {
    const lines: string[] = [];
    const log = createLogger(loadConfig({ LOG_LEVEL: 'info' }), { write: (line: string) => lines.push(line) });

    log.child({ role: 'bridge' }).info({ orderId: 42 }, 'workflow started');

    expect(lines).toHaveLength(1);
    expect(lines[0]!.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual(expect.objectContaining({ level: 30, role: 'bridge', orderId: 42, msg: 'workflow started' }));
  });
});
