// The rules across variables for connecting to managed or clustered engines (PostgreSQL TLS, Kafka SSL/SASL,
// Temporal TLS/mTLS/API key) that a per-variable schema cannot express: which settings imply TLS, which need each
// other, and that every certificate or key file named can be read now rather than at the first reconnect hours
// later. Part of src/config.ts's validation; it reads no environment, only what config.ts parsed. Messages name
// variables and file paths, never a password or key.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';
const SSL_MODES: readonly string[] = ['disable', 'require', 'verify-ca', 'verify-full'];

export type EngineInput = {
  DATABASE_URL: string;
  DATABASE_SSL_MODE?: SslMode | undefined;
  DATABASE_SSL_CA_FILE?: string | undefined;
  DATABASE_SSL_CERT_FILE?: string | undefined;
  DATABASE_SSL_KEY_FILE?: string | undefined;
  KAFKA_SSL?: boolean | undefined;
  KAFKA_SSL_CA_FILE?: string | undefined;
  KAFKA_SSL_CERT_FILE?: string | undefined;
  KAFKA_SSL_KEY_FILE?: string | undefined;
  KAFKA_SASL_MECHANISM?: string | undefined;
  KAFKA_SASL_USERNAME?: string | undefined;
  KAFKA_SASL_PASSWORD?: string | undefined;
  KAFKA_REPLICATION_FACTOR: number;
  KAFKA_MIN_INSYNC_REPLICAS?: number | undefined;
  TEMPORAL_TLS?: boolean | undefined;
  TEMPORAL_TLS_SERVER_CA_CERT_PATH?: string | undefined;
  TEMPORAL_TLS_CLIENT_CERT_PATH?: string | undefined;
  TEMPORAL_TLS_CLIENT_KEY_PATH?: string | undefined;
  TEMPORAL_TLS_SERVER_NAME?: string | undefined;
  TEMPORAL_API_KEY?: string | undefined;
};

export type EngineSettings = {
  /** DATABASE_URL without its TLS parameters: `pg` would let them override the `ssl` options the app builds. */
  DATABASE_URL: string;
  DATABASE_SSL_MODE: SslMode;
  DATABASE_SSL_CA_FILE: string | undefined;
  DATABASE_SSL_CERT_FILE: string | undefined;
  DATABASE_SSL_KEY_FILE: string | undefined;
  KAFKA_SSL: boolean;
  TEMPORAL_TLS: boolean;
};

/** URL parameter → the variable it stands for. */
const URL_TLS_PARAMS = {
  sslmode: 'DATABASE_SSL_MODE',
  sslrootcert: 'DATABASE_SSL_CA_FILE',
  sslcert: 'DATABASE_SSL_CERT_FILE',
  sslkey: 'DATABASE_SSL_KEY_FILE',
} as const;

/** Resolves the engine settings; `issues` lists every broken rule as "VARIABLE: why" (empty when all is well). */
export function resolveEngineSettings(input: EngineInput): { settings: EngineSettings; issues: string[] } {
  const issues: string[] = [];
  const database = resolveDatabase(input, issues);
  const kafkaSsl = resolveKafka(input, issues);
  const temporalTls = resolveTemporal(input, issues);
  for (const [name, path] of Object.entries({
    DATABASE_SSL_CA_FILE: database.DATABASE_SSL_CA_FILE,
    DATABASE_SSL_CERT_FILE: database.DATABASE_SSL_CERT_FILE,
    DATABASE_SSL_KEY_FILE: database.DATABASE_SSL_KEY_FILE,
    KAFKA_SSL_CA_FILE: input.KAFKA_SSL_CA_FILE,
    KAFKA_SSL_CERT_FILE: input.KAFKA_SSL_CERT_FILE,
    KAFKA_SSL_KEY_FILE: input.KAFKA_SSL_KEY_FILE,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: input.TEMPORAL_TLS_SERVER_CA_CERT_PATH,
    TEMPORAL_TLS_CLIENT_CERT_PATH: input.TEMPORAL_TLS_CLIENT_CERT_PATH,
    TEMPORAL_TLS_CLIENT_KEY_PATH: input.TEMPORAL_TLS_CLIENT_KEY_PATH,
  })) {
    const problem = path === undefined ? undefined : pemFileProblem(path);
    if (problem) issues.push(`${name}: ${problem}`);
  }
  return { settings: { ...database, KAFKA_SSL: kafkaSsl, TEMPORAL_TLS: temporalTls }, issues };
}

function resolveDatabase(input: EngineInput, issues: string[]): Omit<EngineSettings, 'KAFKA_SSL' | 'TEMPORAL_TLS'> {
  const url = new URL(input.DATABASE_URL);
  const fromUrl: Partial<Record<(typeof URL_TLS_PARAMS)[keyof typeof URL_TLS_PARAMS], string>> = {};
  for (const [param, name] of Object.entries(URL_TLS_PARAMS)) {
    const value = url.searchParams.get(param);
    if (value === null) continue;
    url.searchParams.delete(param);
    const explicit = input[name];
    if (explicit !== undefined && explicit !== value) {
      issues.push(`${name}: "${explicit}" contradicts DATABASE_URL's ${param}=${value} (set one of them)`);
    }
    fromUrl[name] = value;
  }
  for (const param of [...url.searchParams.keys()].filter((p) => /^(ssl|uselibpqcompat)/i.test(p))) {
    issues.push(`DATABASE_URL: parameter ${param} is not supported; use sslmode, sslrootcert, sslcert, sslkey or DATABASE_SSL_*`);
  }
  const urlMode = fromUrl.DATABASE_SSL_MODE;
  if (urlMode !== undefined && !SSL_MODES.includes(urlMode)) {
    issues.push(
      `DATABASE_URL: sslmode=${urlMode} is not supported (the driver cannot fall back between TLS and plain); use one of ${SSL_MODES.join(', ')}`,
    );
  }
  const ca = input.DATABASE_SSL_CA_FILE ?? fromUrl.DATABASE_SSL_CA_FILE;
  const cert = input.DATABASE_SSL_CERT_FILE ?? fromUrl.DATABASE_SSL_CERT_FILE;
  const key = input.DATABASE_SSL_KEY_FILE ?? fromUrl.DATABASE_SSL_KEY_FILE;
  const anyFile = ca !== undefined || cert !== undefined || key !== undefined;
  const mode = (input.DATABASE_SSL_MODE ??
    (SSL_MODES.includes(urlMode ?? '') ? urlMode : undefined) ??
    (anyFile ? 'verify-full' : 'disable')) as SslMode;
  if (mode === 'disable' && anyFile) {
    issues.push('DATABASE_SSL_MODE: disable, yet DATABASE_SSL_CA_FILE, _CERT_FILE or _KEY_FILE is set (TLS settings without TLS)');
  }
  pairIssue('DATABASE_SSL_CERT_FILE', cert, 'DATABASE_SSL_KEY_FILE', key, issues);
  return {
    // Unchanged unless a parameter was taken out: serialising may re-encode parts of a working connection string.
    DATABASE_URL: Object.keys(fromUrl).length > 0 ? url.toString() : input.DATABASE_URL,
    DATABASE_SSL_MODE: mode,
    DATABASE_SSL_CA_FILE: ca,
    DATABASE_SSL_CERT_FILE: cert,
    DATABASE_SSL_KEY_FILE: key,
  };
}

function resolveKafka(input: EngineInput, issues: string[]): boolean {
  const files = [input.KAFKA_SSL_CA_FILE, input.KAFKA_SSL_CERT_FILE, input.KAFKA_SSL_KEY_FILE].some((f) => f !== undefined);
  if (input.KAFKA_SSL === false && files) {
    issues.push('KAFKA_SSL: false, yet KAFKA_SSL_CA_FILE, _CERT_FILE or _KEY_FILE is set (TLS settings without TLS)');
  }
  pairIssue('KAFKA_SSL_CERT_FILE', input.KAFKA_SSL_CERT_FILE, 'KAFKA_SSL_KEY_FILE', input.KAFKA_SSL_KEY_FILE, issues);
  const credentials = input.KAFKA_SASL_USERNAME !== undefined || input.KAFKA_SASL_PASSWORD !== undefined;
  if (input.KAFKA_SASL_MECHANISM === undefined && credentials) {
    issues.push('KAFKA_SASL_MECHANISM: not set, yet KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is (plain, scram-sha-256 or scram-sha-512)');
  }
  if (input.KAFKA_SASL_MECHANISM !== undefined && (input.KAFKA_SASL_USERNAME === undefined || input.KAFKA_SASL_PASSWORD === undefined)) {
    issues.push(`KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD: KAFKA_SASL_MECHANISM=${input.KAFKA_SASL_MECHANISM} needs both`);
  }
  const minInsync = input.KAFKA_MIN_INSYNC_REPLICAS;
  if (minInsync !== undefined && minInsync > input.KAFKA_REPLICATION_FACTOR) {
    issues.push(
      `KAFKA_MIN_INSYNC_REPLICAS: ${minInsync} exceeds KAFKA_REPLICATION_FACTOR ${input.KAFKA_REPLICATION_FACTOR} (no write could ever be acknowledged)`,
    );
  }
  return input.KAFKA_SSL ?? files;
}

function resolveTemporal(input: EngineInput, issues: string[]): boolean {
  const implied = (
    [
      ['TEMPORAL_TLS_SERVER_CA_CERT_PATH', input.TEMPORAL_TLS_SERVER_CA_CERT_PATH],
      ['TEMPORAL_TLS_CLIENT_CERT_PATH', input.TEMPORAL_TLS_CLIENT_CERT_PATH],
      ['TEMPORAL_TLS_CLIENT_KEY_PATH', input.TEMPORAL_TLS_CLIENT_KEY_PATH],
      ['TEMPORAL_TLS_SERVER_NAME', input.TEMPORAL_TLS_SERVER_NAME],
      ['TEMPORAL_API_KEY', input.TEMPORAL_API_KEY],
    ] as const
  )
    .filter(([, value]) => value !== undefined)
    .map(([name]) => name);
  if (input.TEMPORAL_TLS === false && implied.length > 0) {
    // An API key over plain text would hand the key to anyone on the path; the SDK turns TLS on for it anyway.
    issues.push(`TEMPORAL_TLS: false, yet ${implied.join(', ')} ${implied.length > 1 ? 'are' : 'is'} set, which needs TLS`);
  }
  pairIssue(
    'TEMPORAL_TLS_CLIENT_CERT_PATH',
    input.TEMPORAL_TLS_CLIENT_CERT_PATH,
    'TEMPORAL_TLS_CLIENT_KEY_PATH',
    input.TEMPORAL_TLS_CLIENT_KEY_PATH,
    issues,
  );
  return input.TEMPORAL_TLS ?? implied.length > 0;
}

function pairIssue(certName: string, cert: string | undefined, keyName: string, key: string | undefined, issues: string[]): void {
  if ((cert === undefined) !== (key === undefined)) {
    const [set, missing] = cert === undefined ? [keyName, certName] : [certName, keyName];
    issues.push(`${certName} / ${keyName}: ${set} is set without ${missing} (a client certificate needs its key: set both or neither)`);
  }
}

/** Why `path` cannot serve as a PEM certificate or key, or undefined when it can. */
function pemFileProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return `${path} is not a file`;
    accessSync(path, constants.R_OK);
    // Enough to catch a DER file or a wrong path to some other file; the TLS library checks the rest.
    if (!readFileSync(path, 'utf8').includes('-----BEGIN ')) return `${path} is not PEM (no "-----BEGIN" line)`;
    return undefined;
  } catch (err) {
    return `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
}
