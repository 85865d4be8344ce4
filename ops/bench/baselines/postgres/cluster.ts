/**
 * A throwaway PostgreSQL cluster: `initdb` in a temp dir, a private port on 127.0.0.1, its unix
 * socket in the same dir, durable settings (`fsync=on`, `synchronous_commit=on`). Stopped and removed
 * by the bench's cleanup, also on Ctrl-C.
 *
 * PostgreSQL refuses to run as root, so when the bench runs as root the server runs as the
 * `postgres` user (or `nobody`) through `runuser`, owning its temp dir.
 */
import { execFile } from 'node:child_process';
import { chown, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../../harness/net.ts';
import type { BenchContext } from '../../harness/types.ts';
import type { PostgresBinaries } from './binaries.ts';

const run = promisify(execFile);

/** A running cluster; `stop` and `start` let the restart baseline bounce it. */
export interface PostgresCluster {
  readonly port: number;
  /** A new, connected client over TCP (as the ledger's client uses TCP). */
  connect(): Promise<pg.Client>;
  /** `fast` is a clean shutdown (checkpoint); `immediate` skips it, like a crash. */
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  /** Starts the server again and resolves once it accepts connections. */
  start(): Promise<void>;
}

export async function startPostgresCluster(
  binaries: PostgresBinaries,
  bench: BenchContext,
): Promise<PostgresCluster> {
  const dir = await bench.tempDir('postgres');
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const runAs = await serverUser(dir);
  const tool = (name: string, args: string[]) =>
    runAs([join(binaries.binDir, name), ...args], { timeout: 120_000 }).catch((error: unknown) => {
      throw new Error(`${name} failed: ${(error as { stderr?: string }).stderr ?? String(error)}`);
    });

  // initdb's own fsync only protects the template files, which a throwaway cluster does not need.
  await tool('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);

  const settings = [
    `port=${port}`,
    'listen_addresses=127.0.0.1',
    `unix_socket_directories=${dir}`,
    'fsync=on',
    'synchronous_commit=on',
    'max_connections=100',
  ];
  const serverOptions = settings.map((setting) => `-c ${setting}`).join(' ');
  const start = async () => {
    await tool('pg_ctl', [
      '-D',
      dataDir,
      '-l',
      join(dir, 'server.log'),
      '-o',
      serverOptions,
      '-w',
      '-t',
      '60',
      'start',
    ]);
  };
  const stop = async (mode: 'fast' | 'immediate') => {
    await tool('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
  };

  let running = false;
  bench.defer(async () => {
    if (running) await stop('immediate');
  });
  await start().catch(async (error: unknown) => {
    const log = await readFile(join(dir, 'server.log'), 'utf8').catch(() => '');
    throw new Error(`${String(error)}\n${log}`);
  });
  running = true;

  return {
    port,
    async connect() {
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
      await client.connect();
      return client;
    },
    async stop(mode) {
      await stop(mode);
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
  };
}

type Runner = (command: string[], options: { timeout: number }) => Promise<unknown>;

/** Runs as ourselves, or, as root, as an unprivileged user that owns `dir`. */
async function serverUser(dir: string): Promise<Runner> {
  if (process.getuid?.() !== 0) return ([command, ...args], options) => run(command!, args, options);
  const passwd = await readFile('/etc/passwd', 'utf8');
  const account = ['postgres', 'nobody']
    .map((name) =>
      passwd
        .split('\n')
        .find((line) => line.startsWith(`${name}:`))
        ?.split(':'),
    )
    .find((fields) => fields !== undefined);
  if (!account)
    throw new Error('running as root, and neither a postgres nor a nobody user exists to run PostgreSQL');
  const [name, , uid, gid] = account;
  await chown(dir, Number(uid), Number(gid));
  return (command, options) => run('runuser', ['-u', name!, '--', ...command], options);
}
