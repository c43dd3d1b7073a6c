// Temporal over mTLS, for real: the dev server behind a TLS front that requires a client certificate
// (test/helpers/tls-proxy.ts), and the app's TEMPORAL_TLS_* settings on both of its connections, the client's
// (API, bridge) and the worker's NativeConnection. A workflow runs end to end through it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig, type Config } from '../../src/config.ts';
import { connectTemporal, temporalConnectionOptions } from '../../src/temporal/connection.ts';
import { createWorker } from '../../src/temporal/worker.ts';
import { smokeWorkflow } from '../workflows/smoke.workflow.ts';
import { testConfig } from '../helpers/config.ts';
import { eventually } from '../helpers/eventually.ts';
import { workflowBundle } from '../helpers/temporal.ts';
import { makeTestCertificates, type TestCertificates } from '../helpers/tls-certs.ts';
import { startTlsProxy, type TlsProxy } from '../helpers/tls-proxy.ts';

let dir: string;
let certs: TestCertificates;
let proxy: TlsProxy;
const base = testConfig();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'temporal-tls-'));
  certs = makeTestCertificates(dir, 'order-saga-worker');
  proxy = await startTlsProxy({ upstream: base.TEMPORAL_ADDRESS, cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca });
});

afterAll(async () => {
  await proxy?.close();
  rmSync(dir, { recursive: true, force: true });
});

const configFor = (env: Record<string, string>): Config =>
  loadConfig({ LOG_LEVEL: 'silent', TEMPORAL_NAMESPACE: base.TEMPORAL_NAMESPACE, TEMPORAL_ADDRESS: `localhost:${proxy.port}`, ...env });

describe('Temporal with mTLS', () => {
  it('when the CA and a client certificate are configured, then a workflow runs through the client and the worker over mTLS', async () => {
    const config = configFor({
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca,
      TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
    });
    const client = await connectTemporal(config);
    const connection = await NativeConnection.connect(temporalConnectionOptions(config));
    try {
      const taskQueue = `tls-${process.pid}-${Date.now()}`;
      const worker = await createWorker({
        connection,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue,
        workflowBundle: await workflowBundle(),
      });
      const result = await worker.runUntil(client.workflow.execute(smokeWorkflow, { args: [1], workflowId: `${taskQueue}-wf`, taskQueue }));
      expect(result.sleptMs).toBeGreaterThanOrEqual(1);
      expect(proxy.clientNames).toContain('order-saga-worker');
    } finally {
      await connection.close();
      await client.connection.close();
    }
  });

  it('when TEMPORAL_TLS_SERVER_NAME is set, then the server certificate is checked against it instead of the address', async () => {
    const tls = {
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca,
      TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
    };
    const address = `127.0.0.1:${proxy.port}`; // in the certificate, so only the override can make the check fail
    const wrong = configFor({ ...tls, TEMPORAL_ADDRESS: address, TEMPORAL_TLS_SERVER_NAME: 'elsewhere.invalid' });
    await expect(NativeConnection.connect(temporalConnectionOptions(wrong))).rejects.toThrow(/NotValidForName/);
    const right = configFor({ ...tls, TEMPORAL_ADDRESS: address, TEMPORAL_TLS_SERVER_NAME: 'localhost' });
    const connection = await NativeConnection.connect(temporalConnectionOptions(right));
    try {
      const info = await connection.workflowService.getSystemInfo({});
      expect(info.serverVersion).toBeTruthy();
    } finally {
      await connection.close();
    }
  });

  it('when no client certificate is configured, then the TLS front refuses the connection', async () => {
    const config = configFor({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca });
    const accepted = proxy.clientNames.length;
    // TLS 1.3 finishes the client's side of the handshake before the server checks for a certificate, so the client
    // sees the server's alert, a closed stream or a cancelled call, by timing; the server's own account says why.
    await expect(NativeConnection.connect(temporalConnectionOptions(config))).rejects.toThrow(/Failed to call GetSystemInfo/);
    await eventually(
      async () => proxy.refusals,
      (refusals) => refusals.some((r) => /did not return a certificate/i.test(r)),
      {
        what: 'the TLS front to refuse a client without a certificate',
      },
    );
    expect(proxy.clientNames.length).toBe(accepted);
  });

  it('when the CA does not vouch for the server, then the connection is refused', async () => {
    const config = configFor({
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.otherCa,
      TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
    });
    await expect(NativeConnection.connect(temporalConnectionOptions(config))).rejects.toThrow(/UnknownIssuer/);
  });
});
