// Temporal client connection shared by the API, the bridge and readiness checks. It is lazy: the gRPC channel
// connects on first use and reconnects by itself, so a process starts while Temporal is down (the API keeps taking
// orders, which need only PostgreSQL) and calls made during an outage fail fast as UNAVAILABLE instead.
import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionLike, type TLSConfig } from '@temporalio/client';
import type { Config } from '../config.ts';
import { currentTracing } from '../telemetry/tracing.ts';
import { tracingClientInterceptors } from './tracing.ts';

export type TemporalConnectionConfig = Pick<Config, 'TEMPORAL_ADDRESS'> &
  Partial<
    Pick<
      Config,
      | 'TEMPORAL_TLS'
      | 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'
      | 'TEMPORAL_TLS_CLIENT_CERT_PATH'
      | 'TEMPORAL_TLS_CLIENT_KEY_PATH'
      | 'TEMPORAL_TLS_SERVER_NAME'
      | 'TEMPORAL_API_KEY'
    >
  >;

/**
 * Address, TLS and API key of a Temporal connection: the same for the client (`Connection`) and the worker's
 * `NativeConnection`, whose options share these names. Reads the certificate files each call.
 */
export function temporalConnectionOptions(config: TemporalConnectionConfig): { address: string; tls?: TLSConfig; apiKey?: string } {
  const options: { address: string; tls?: TLSConfig; apiKey?: string } = { address: config.TEMPORAL_ADDRESS };
  if (config.TEMPORAL_TLS) {
    const tls: TLSConfig = {};
    if (config.TEMPORAL_TLS_SERVER_CA_CERT_PATH !== undefined)
      tls.serverRootCACertificate = readFileSync(config.TEMPORAL_TLS_SERVER_CA_CERT_PATH);
    if (config.TEMPORAL_TLS_CLIENT_CERT_PATH !== undefined && config.TEMPORAL_TLS_CLIENT_KEY_PATH !== undefined) {
      tls.clientCertPair = {
        crt: readFileSync(config.TEMPORAL_TLS_CLIENT_CERT_PATH),
        key: readFileSync(config.TEMPORAL_TLS_CLIENT_KEY_PATH),
      };
    }
    if (config.TEMPORAL_TLS_SERVER_NAME !== undefined) tls.serverNameOverride = config.TEMPORAL_TLS_SERVER_NAME;
    options.tls = tls;
  }
  if (config.TEMPORAL_API_KEY !== undefined) options.apiKey = config.TEMPORAL_API_KEY;
  return options;
}

export function connectTemporal(config: TemporalConnectionConfig & Pick<Config, 'TEMPORAL_NAMESPACE'>): Promise<Client> {
  const connection = Connection.lazy({ ...temporalConnectionOptions(config), connectTimeout: 5000 });
  return Promise.resolve(clientOn(connection, config));
}

/** A client on the given connection (e.g. a worker's NativeConnection, for eager workflow start). */
export function clientOn(connection: ConnectionLike, config: Pick<Config, 'TEMPORAL_NAMESPACE'>): Client {
  // With tracing installed, workflow starts (the bridge's) and updates carry the caller's trace into the workflow.
  const tracing = currentTracing();
  return new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    ...(tracing && { interceptors: tracingClientInterceptors(tracing) }),
  });
}
