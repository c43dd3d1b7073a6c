// Throw-away certificates for the TLS tests, made with the openssl command line: a CA, a server certificate for
// localhost / 127.0.0.1 signed by it, a client certificate (its CN names the database user of certificate login), and
// a second CA that signed nothing here, to show that a server it does not vouch for is refused. Valid for one day.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';

export type TestCertificates = {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** Issued by `ca` for a name other than localhost (a host name check must refuse it). */
  wrongNameCert: string;
  wrongNameKey: string;
  otherCa: string;
};

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
// P-256 keys: quick to make, and every TLS stack in play (Node, rustls in Temporal's core, PostgreSQL) takes them.
const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  openssl(['req', '-x509', ...newKey, '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=order-saga test ${name}`]);
  return { cert, key };
}

function issue(
  dir: string,
  ca: { cert: string; key: string },
  name: string,
  subject: string,
  altNames?: string,
): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  openssl(['req', ...newKey, '-keyout', key, '-out', csr, '-subj', subject]);
  writeFileSync(ext, `basicConstraints=CA:FALSE\n${altNames ? `subjectAltName=${altNames}\n` : ''}`);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '1', '-extfile', ext]);
  return { cert, key };
}

/** Makes the set in `dir` (which must exist). */
export function makeTestCertificates(dir: string, clientName = 'saga_cert'): TestCertificates {
  const ca = makeCa(dir, 'ca');
  const server = issue(dir, ca, 'server', '/CN=localhost', 'DNS:localhost,IP:127.0.0.1');
  const client = issue(dir, ca, 'client', `/CN=${clientName}`);
  const wrongName = issue(dir, ca, 'wrong-name', '/CN=elsewhere.invalid', 'DNS:elsewhere.invalid');
  const other = makeCa(dir, 'other-ca');
  return {
    ca: ca.cert,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    wrongNameCert: wrongName.cert,
    wrongNameKey: wrongName.key,
    otherCa: other.cert,
  };
}
