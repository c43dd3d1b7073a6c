// Temporal client connection shared by the API, the bridge and readiness checks.
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config.ts';

export async function connectTemporal(config: Pick<Config, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE'>): Promise<Client> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: 5000 });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}
