// A PostgreSQL cluster of a test's own that accepts TLS connections only (pg_hba: hostnossl → reject), started from
// the same Debian server binaries the stack uses (scripts/provision/postgres.sh) on a free loopback port, never the
// shared cluster. User `saga` logs in with a password, user `saga_cert` with a client certificate (its CN).
// PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` system user.
import { execFileSync } from 'node:child_process';
import { chownSync, copyFileSync, chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestCertificates } from './tls-certs.ts';

export type TlsPostgres = { port: number; database: string; stop: () => void };

function bindir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl'))) : [];
  const newest = versions.sort((a, b) => Number(a) - Number(b)).at(-1);
  if (!newest)
    throw new Error(`no PostgreSQL server binaries under ${root}: run the stack once (scripts/provision/postgres.sh installs them)`);
  return join(root, newest, 'bin');
}

export function startTlsPostgres(dir: string, certs: TestCertificates, port: number): TlsPostgres {
  const bin = bindir();
  const asRoot = process.getuid?.() === 0;
  const home = join(dir, 'pg');
  const data = join(home, 'data');
  const socket = join(home, 'run');
  mkdirSync(socket, { recursive: true });
  const run = (cmd: string, args: string[]) =>
    execFileSync(asRoot ? 'runuser' : join(bin, cmd), asRoot ? ['-u', 'postgres', '--', join(bin, cmd), ...args] : args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();
  if (asRoot) {
    for (const path of [dir, home, socket]) chownSync(path, uidOf('postgres'), gidOf('postgres'));
  }
  run('initdb', ['-D', data, '-U', 'postgres', '--auth-local=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  // The server reads its key only when it is private to its owner.
  for (const [from, to] of [
    [certs.serverCert, 'server.crt'],
    [certs.serverKey, 'server.key'],
    [certs.ca, 'root.crt'],
  ] as const) {
    copyFileSync(from, join(data, to));
    chmodSync(join(data, to), 0o600);
    if (asRoot) chownSync(join(data, to), uidOf('postgres'), gidOf('postgres'));
  }
  writeFileSync(
    join(data, 'pg_hba.conf'),
    [
      'local all all trust',
      'hostnossl all all 127.0.0.1/32 reject',
      'hostssl all saga_cert 127.0.0.1/32 cert',
      'hostssl all all 127.0.0.1/32 scram-sha-256',
      '',
    ].join('\n'),
  );
  const settings = ['-p', String(port), '-k', socket, '-c', 'listen_addresses=127.0.0.1', '-c', 'ssl=on', '-c', 'fsync=off'];
  settings.push('-c', 'ssl_cert_file=server.crt', '-c', 'ssl_key_file=server.key', '-c', 'ssl_ca_file=root.crt');
  run('pg_ctl', ['-D', data, '-l', join(home, 'postgres.log'), '-w', '-t', '60', 'start', '-o', settings.join(' ')]);
  const database = 'order_saga_tls';
  const sql = [
    "create role saga login password 'saga'",
    'create role saga_cert login',
    `create database ${database} owner saga`,
    `grant all on database ${database} to saga_cert`,
  ];
  for (const statement of sql) run('psql', ['-h', socket, '-p', String(port), '-U', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qc', statement]);
  return {
    port,
    database,
    stop: () => {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    },
  };
}

const idOf = (flag: '-u' | '-g', name: string) => Number(execFileSync('id', [flag, name]).toString().trim());
const uidOf = (name: string) => idOf('-u', name);
const gidOf = (name: string) => idOf('-g', name);
