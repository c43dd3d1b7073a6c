// The production shape's server settings live in one place, scripts/provision/cluster/: kafka-broker.properties (the
// brokers' replication, min.insync.replicas, …) and temporal-dynamicconfig.yaml (the Temporal server's dynamic config).
// The no-Docker cluster stack reads both; docker-compose.yml's production profile mounts the dynamic config and sets the
// broker settings as KAFKA_* variables, checked here against the file. Pure file reading.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';

const read = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), 'utf8');
const SETTINGS = 'scripts/provision/cluster/kafka-broker.properties';
const HEAP = 'scripts/provision/cluster/kafka-heap.opts';
const DYNAMIC_CONFIG = 'scripts/provision/cluster/temporal-dynamicconfig.yaml';

/** `key=value` lines of a Java properties file (no continuation lines: ours has none). */
function properties(text: string): Map<string, string> {
  const entries = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const at = line.indexOf('=');
      if (at < 0) throw new Error(`not a key=value line: ${line}`);
      return [line.slice(0, at).trim(), line.slice(at + 1).trim()] as const;
    });
  return new Map(entries);
}

/**
 * The `KEY: value` lines of the YAML mapping that starts at the line `header` (matched after its indentation), one
 * level deeper than it, with quotes removed. Enough YAML for this compose file; anything else fails loudly.
 */
function mapping(yaml: string, header: string): Map<string, string> {
  const lines = yaml.split('\n');
  const start = lines.findIndex((line) => line.trim() === header);
  if (start < 0) throw new Error(`no line "${header}" in the compose file`);
  const indent = (line: string) => line.length - line.trimStart().length;
  const own = indent(lines[start]!);
  const result = new Map<string, string>();
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    if (indent(line) <= own) break;
    const pair = /^\s*([A-Za-z0-9_]+):\s*(.*)$/.exec(line);
    if (!pair || indent(line) !== own + 2) continue; // nested blocks (anchors' merges, lists) are not settings
    result.set(
      pair[1]!,
      pair[2]!.replace(/^'(.*)'$|^"(.*)"$/, (_, single?: string, double?: string) => single ?? double ?? ''),
    );
  }
  if (result.size === 0) throw new Error(`"${header}" has no KEY: value lines`);
  return result;
}

/** The compose variable the apache/kafka image turns into a broker property (`min.insync.replicas` → KAFKA_MIN_INSYNC_REPLICAS). */
const kafkaVariable = (property: string) => `KAFKA_${property.toUpperCase().replaceAll('.', '_')}`;
/** Compose broker variables that describe one deployment's topology (addresses, ids, paths), not a shared setting. */
const TOPOLOGY = [
  'KAFKA_PROCESS_ROLES',
  'KAFKA_CONTROLLER_QUORUM_VOTERS',
  'KAFKA_LISTENERS',
  'KAFKA_LISTENER_SECURITY_PROTOCOL_MAP',
  'KAFKA_CONTROLLER_LISTENER_NAMES',
  'KAFKA_INTER_BROKER_LISTENER_NAME',
  'KAFKA_LOG_DIRS',
];
/** Compose variables the image passes to the JVM rather than writing them as broker properties. */
const JVM = ['KAFKA_HEAP_OPTS'];

describe('Kafka broker settings, one file for the cluster stack and the production compose profile', () => {
  it('when the settings file names a broker property, then the production brokers in docker-compose.yml set the same value', async () => {
    const settings = properties(await read(SETTINGS));
    const compose = mapping(await read('docker-compose.yml'), 'x-prod-kafka-env: &prod-kafka-env');
    expect(settings.get('default.replication.factor')).toBe('3');
    expect(settings.get('min.insync.replicas')).toBe('2');
    const fromFile = Object.fromEntries([...settings].map(([key, value]) => [kafkaVariable(key), value]));
    const inCompose = Object.fromEntries([...settings.keys()].map((key) => [kafkaVariable(key), compose.get(kafkaVariable(key))]));
    expect(inCompose).toEqual(fromFile);
  });

  it('when the production brokers in docker-compose.yml set a broker property, then it comes from the settings file', async () => {
    const settings = properties(await read(SETTINGS));
    const compose = mapping(await read('docker-compose.yml'), 'x-prod-kafka-env: &prod-kafka-env');
    const shared = new Set([...settings.keys()].map(kafkaVariable));
    const extra = [...compose.keys()].filter(
      (name) => name.startsWith('KAFKA_') && !TOPOLOGY.includes(name) && !JVM.includes(name) && !shared.has(name),
    );
    expect(extra).toEqual([]);
  });

  it("when the app creates its topics, then both shapes give it the brokers' replication, min.insync.replicas and partitions", async () => {
    const settings = properties(await read(SETTINGS));
    const app = mapping(await read('docker-compose.yml'), 'environment: &prod-env');
    expect({
      KAFKA_REPLICATION_FACTOR: app.get('KAFKA_REPLICATION_FACTOR'),
      KAFKA_MIN_INSYNC_REPLICAS: app.get('KAFKA_MIN_INSYNC_REPLICAS'),
      KAFKA_PARTITIONS: app.get('KAFKA_PARTITIONS'),
    }).toEqual({
      KAFKA_REPLICATION_FACTOR: settings.get('default.replication.factor'),
      KAFKA_MIN_INSYNC_REPLICAS: settings.get('min.insync.replicas'),
      KAFKA_PARTITIONS: settings.get('num.partitions'),
    });
    const cluster = await read('scripts/cluster.sh');
    expect(cluster).toContain('KAFKA_REPLICATION_FACTOR=$(kcluster_setting default.replication.factor)');
    expect(cluster).toContain('KAFKA_MIN_INSYNC_REPLICAS=$(kcluster_setting min.insync.replicas)');
    expect(cluster).toContain('KAFKA_PARTITIONS=$(kcluster_setting num.partitions)');
  });

  it('when a production broker starts, then both shapes give its JVM the heap flags of kafka-heap.opts', async () => {
    const lines = (await read(HEAP)).split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
    expect(lines).toHaveLength(1);
    const heap = lines[0]!;
    expect(heap).toContain('-XX:+AlwaysPreTouch');
    const xms = /-Xms(\S+)/.exec(heap)?.[1];
    expect(xms).toBeDefined();
    expect(heap).toContain(`-Xmx${xms}`);
    const compose = mapping(await read('docker-compose.yml'), 'x-prod-kafka-env: &prod-kafka-env');
    expect(compose.get('KAFKA_HEAP_OPTS')).toBe(heap);
    const script = await read('scripts/provision/kafka-cluster.sh');
    expect(script).toContain(`KCLUSTER_HEAP="$SAGA_ROOT/${HEAP}"`);
    expect(script).toMatch(/echo java "\$\(kcluster_heap\)" /);
    expect(script).not.toMatch(/-Xm[sx]/);
  });

  it("when the cluster stack renders a broker's configuration, then it appends the settings file and overrides none of it", async () => {
    const script = await read('scripts/provision/kafka-cluster.sh');
    expect(script).toContain(`KCLUSTER_SETTINGS="$SAGA_ROOT/${SETTINGS}"`);
    expect(script).toContain('cat "$KCLUSTER_SETTINGS" >>"$dir/server.properties"');
    const node = properties((await read('scripts/provision/cluster/kafka-node.properties.tmpl')).replaceAll(/@[A-Z_]+@/g, 'x'));
    const settings = properties(await read(SETTINGS));
    expect([...node.keys()].filter((key) => settings.has(key))).toEqual([]);
  });
});

describe('Temporal dynamic config, one file for the cluster stack and the production compose profile', () => {
  it('when docker-compose.yml runs the production Temporal server, then it mounts the shared file and points the server at it', async () => {
    const yaml = await read('docker-compose.yml');
    const service = yaml.slice(yaml.indexOf('\n  prod-temporal:\n'));
    const body = service.slice(0, service.indexOf('\n  prod-', 1));
    const path = /DYNAMIC_CONFIG_FILE_PATH: (\S+)/.exec(body)?.[1];
    expect(path).toMatch(/^\/etc\/temporal\/config\/dynamicconfig\/.+\.yaml$/);
    expect(body).toContain(`- ./${DYNAMIC_CONFIG}:${path}:ro`);
  });

  it('when the cluster stack renders its server configuration, then the dynamic config is the shared file', async () => {
    const template = await read('scripts/provision/cluster/temporal-server.yaml.tmpl');
    expect(template).toMatch(/dynamicConfigClient:\n\s+filepath: "@DYNAMIC_CONFIG_FILE@"/);
    const script = await read('scripts/provision/temporal-server.sh');
    expect(script).toContain('TSRV_TEMPLATES="$SAGA_ROOT/scripts/provision/cluster"');
    expect(script).toContain('"DYNAMIC_CONFIG_FILE=$TSRV_TEMPLATES/temporal-dynamicconfig.yaml"');
  });

  it('when the dynamic config sets a key, then it is a list of values, as the server expects', async () => {
    const lines = (await read(DYNAMIC_CONFIG)).split('\n').filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
    const keys = lines.filter((line) => !line.startsWith(' '));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key).toMatch(/^[a-zA-Z]+(\.[a-zA-Z]+)+:$/);
    for (const [i, line] of lines.entries()) if (!line.startsWith(' ')) expect(lines[i + 1]).toMatch(/^ {2}- value: /);
  });
});
