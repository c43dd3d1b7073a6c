// Temporal client connection shared by the API, the bridge and readiness checks. It is lazy: the gRPC channel
// connects on first use and reconnects by itself, so a process starts while Temporal is down (the API keeps taking
// orders, which need only PostgreSQL) and calls made during an outage fail fast as UNAVAILABLE instead.
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config.ts';

export async function connectTemporal(config: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE'>): Promise<Client> {
  const connection = Connection.lazy({ address: config.TEMPORAL_ADDRESS, connectTimeout: 5000 });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}
