// Kafka cluster ids for freshly formatted brokers (the chaos harness's own brokers in TypeScript, the stacks' brokers in
// scripts/provision/kafka.sh). An id starting with '-' makes `kafka-storage format -t <id>` read it as an option, which
// failed a CI run once (1 random id in 64). Unit test: a stubbed byte source, and the shell function run in bash.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { kafkaClusterId } from '../../chaos/util.ts';

const BASE64URL_16_BYTES = /^[A-Za-z0-9_-]{22}$/;

describe('a new Kafka cluster id', () => {
  it('skips ids that start with "-" and keeps the next one', () => {
    // 0xf8 = 0b111110xx: the first base64 digit is 62, '-' in base64url.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x41)];
    const id = kafkaClusterId(() => draws.shift() as Buffer);
    expect(draws).toHaveLength(0);
    expect(id).toBe(Buffer.alloc(16, 0x41).toString('base64url'));
  });

  it('is 16 bytes in unpadded base64url', () => {
    const id = kafkaClusterId();
    expect(id).toMatch(BASE64URL_16_BYTES);
    expect(Buffer.from(id, 'base64url')).toHaveLength(16);
  });

  it('from the provisioning script never starts with "-" (500 draws; about 8 would without the check)', async () => {
    const script = new URL('../../scripts/provision/kafka.sh', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)('bash', ['-c', `source "$0"; for i in $(seq 500); do kafka_new_cluster_id; done`, script]);
    const ids = stdout.trim().split('\n');
    expect(ids).toHaveLength(500);
    for (const id of ids) expect(id).toMatch(BASE64URL_16_BYTES);
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
  });
});
